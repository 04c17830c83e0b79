#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installing on a real machine, checked on the host (nothing is loaded
# here); each check is one TAP test:
#   versions      dkms.conf, module/version.h and userspace/Makefile name
#                 the same version
#   install       `make install DESTDIR=destdir KDIR=<stock 6.12 headers>`
#                 puts exactly the module, the udev rule, both headers,
#                 librefslab.a, librefslab.so.<version> and its two links,
#                 refslab.pc, refslabctl and its man page, and no depmod
#                 index into a staging tree
#   modinfo       the installed module is refslab <version>, vermagic the
#                 kernel's release, no KUnit module beside it
#   library       the shared library's soname and links
#   pkg-config    refslab.pc points into the prefix; through a sysroot at
#                 destdir it gives destdir's -I and -L
#   example       vm/pkgconfig-example.c built with `pkg-config --cflags
#                 --libs refslab` against the shared library: NEEDED
#                 librefslab.so.1, refslab_* undefined in it, every symbol
#                 resolved by destdir's library (ldd -r; not run)
#   reinstall     a second `make install` leaves the same files, modes and
#                 links
#   uninstall     `make uninstall` on a copy of destdir leaves no file
#   depmod        into a root that has the kernel's modules.order and
#                 modules.builtin, install runs depmod: modprobe finds
#                 refslab there; uninstall runs it again and it is gone
#   stock61       install and uninstall against the stock 6.1 headers: the
#                 module under the kernel's release (not the upstream
#                 version Debian's headers have in kernel.release)
#   dkms-*        `dkms add`, `build` and `install --no-depmod` of the tree
#                 for each stock kernel in a dkms tree of its own (not
#                 /var/lib/dkms, /usr/src or /lib/modules): refslab.ko with
#                 the kernel's vermagic under updates/dkms/, and no KUnit
#                 module built
# Work happens in $REFSLAB_BUILD/install-test/, rebuilt on every run.
# Ends with
#   RESULT install passed=N failed=N skipped=N
# and exits non-zero if a check failed.
#
# Left for the test VM: $REFSLAB_BUILD/install-test/destdir (the staging
# tree above, for the stock 6.12 kernel) and
# $REFSLAB_BUILD/install-test/pkgconfig-example (dynamically linked).  The
# VM side is expected to copy destdir/ over the guest's / (with the
# dynamic loader and libc beside it), run `depmod <release>` and
# `modprobe refslab` (the module is lib/modules/<release>/updates/module/
# refslab.ko.xz), make librefslab.so.1 findable (`ldconfig`, or
# LD_LIBRARY_PATH=/usr/local/lib) and run pkgconfig-example: exit status 0
# and a last line "pkgconfig-example: ok".  The udev rule is installed but
# only takes effect where udev runs (not in a busybox guest).
#
# Usage: vm/install-test.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

top=$REFSLAB_TOP
out=$REFSLAB_BUILD/install-test
dest=$out/destdir
prefix=/usr/local

# make_in <log> <make args...>: the top-level make, under the lock the
# in-tree userspace builds share (lint and the VM runs build there too).
make_in() {
	local log=$1
	shift
	locked userspace make -C "$top" --no-print-directory PREFIX="$prefix" \
		"$@" >"$log" 2>&1
}

# Every file and link under <dir>, one per line: path, type, link target.
listing() {
	(cd "$1" && find . ! -type d -printf '%P %y %l\n' | sed 's/ $//' | sort)
}

# Same, with each file's mode: what a second install must leave alike
# (not the bytes: others may change the sources in between).
modes() {
	(cd "$1" && find . ! -type d -printf '%P %y %m %l\n' | sed 's/ $//' | sort)
}

# The module file an install left under <root> for <release>.
installed_module() {
	find "$1/lib/modules/$2/updates/module" -maxdepth 1 \
		-name 'refslab.ko*' 2>/dev/null | head -n 1
}

version=$(sed -n 's/^#define REFSLAB_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	"$top/module/version.h")
libversion=$(sed -n 's/^VERSION := //p' "$top/userspace/Makefile")
somajor=$(sed -n 's/^SOMAJOR := //p' "$top/userspace/Makefile")
dkmsversion=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
rel612=$(kernel_release stock612)
rel61=$(kernel_release stock61)
kdir612=/lib/modules/$rel612/build
kdir61=/lib/modules/$rel61/build

check_versions() {
	if [[ -n $version && $dkmsversion == "$version" &&
		$libversion == "$version" ]]; then
		ok "versions: dkms.conf, module/version.h, userspace/Makefile all $version"
	else
		not_ok "versions: dkms.conf '$dkmsversion', module/version.h '$version', userspace/Makefile '$libversion'"
	fi
}

# What `make install` must put into a staging tree, module aside.
expected_files() {
	local lib=${prefix#/}/lib
	sort <<-EOF
		lib/udev/rules.d/60-refslab.rules f
		${prefix#/}/bin/refslabctl f
		${prefix#/}/include/linux/refslab.h f
		${prefix#/}/include/refslab.h f
		$lib/librefslab.a f
		$lib/librefslab.so l librefslab.so.$somajor
		$lib/librefslab.so.$somajor l librefslab.so.$libversion
		$lib/librefslab.so.$libversion f
		$lib/pkgconfig/refslab.pc f
		${prefix#/}/share/man/man8/refslabctl.8 f
	EOF
}

check_install() {
	local ko
	if ! make_in "$out/install.log" install DESTDIR="$dest" KDIR="$kdir612"; then
		not_ok "install: make install DESTDIR=destdir KDIR=$kdir612 failed" \
			"$out/install.log"
		return 1
	fi
	ko=$(installed_module "$dest" "$rel612")
	listing "$dest" | grep -v '^lib/modules/[^/]*/updates/module/refslab\.ko[.a-z]* f$' \
		>"$out/install.found" || true
	expected_files >"$out/install.expected"
	if [[ -z $ko ]]; then
		not_ok "install: no lib/modules/$rel612/updates/module/refslab.ko*" \
			"$out/install.found"
		return 1
	elif ! diff -u "$out/install.expected" "$out/install.found" >"$out/install.diff"; then
		not_ok "install: the files differ from what is expected" "$out/install.diff"
		return 1
	elif ! grep -q 'depmod skipped' "$out/install.log"; then
		not_ok "install: no word that depmod was skipped in a staging tree" \
			"$out/install.log"
		return 1
	elif [[ ! -x $dest$prefix/bin/refslabctl ]]; then
		not_ok "install: refslabctl not executable"
		return 1
	fi
	ok "install: ${ko#"$dest"/} and $(wc -l <"$out/install.found") files under destdir, depmod skipped (staging tree)"
}

check_modinfo() {
	local ko name ver vermagic
	ko=$(installed_module "$dest" "$rel612")
	name=$(modinfo -F name "$ko" 2>&1) || true
	ver=$(modinfo -F version "$ko" 2>&1) || true
	vermagic=$(modinfo -F vermagic "$ko" 2>&1) || true
	if [[ $name != refslab || $ver != "$version" || ${vermagic%% *} != "$rel612" ]]; then
		modinfo "$ko" >"$out/modinfo.log" 2>&1 || true
		not_ok "modinfo: name '$name' version '$ver' vermagic '$vermagic'" \
			"$out/modinfo.log"
	elif find "$dest/lib/modules" -name 'refslab_kunit*' | grep -q .; then
		not_ok "modinfo: the KUnit module was installed"
	else
		ok "modinfo: refslab $ver, vermagic ${vermagic%% *}"
	fi
}

check_library() {
	local lib=$dest$prefix/lib soname
	soname=$(readelf -d "$lib/librefslab.so.$libversion" 2>&1 |
		sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [[ $soname != "librefslab.so.$somajor" ]]; then
		readelf -d "$lib/librefslab.so.$libversion" >"$out/soname.log" 2>&1 || true
		not_ok "library: soname '$soname', not librefslab.so.$somajor" "$out/soname.log"
	elif [[ $(readlink -f "$lib/librefslab.so") != "$lib/librefslab.so.$libversion" ]]; then
		not_ok "library: librefslab.so does not lead to librefslab.so.$libversion"
	elif ! ar t "$lib/librefslab.a" | grep -q '\.o$'; then
		not_ok "library: librefslab.a holds no object"
	else
		ok "library: librefslab.so.$libversion, soname $soname, librefslab.a"
	fi
}

# pkg-config that sees only destdir's refslab.pc, with destdir as sysroot.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest$prefix/lib/pkgconfig \
		PKG_CONFIG_PATH='' pkg-config "$@"
}

check_pkgconfig() {
	local pcfile=$dest$prefix/lib/pkgconfig/refslab.pc flags want modver
	want="-I$dest$prefix/include -L$dest$prefix/lib -lrefslab"
	flags=$(pc --cflags --libs refslab 2>&1) || true
	modver=$(pc --modversion refslab 2>&1) || true
	flags=$(echo "$flags" | xargs)
	if ! grep -qx "prefix=$prefix" "$pcfile" ||
		! grep -qx "libdir=$prefix/lib" "$pcfile" ||
		! grep -qx "includedir=$prefix/include" "$pcfile"; then
		not_ok "pkg-config: refslab.pc does not point into $prefix" "$pcfile"
	elif [[ $flags != "$want" || $modver != "$libversion" ]]; then
		{
			echo "got:  $flags (version $modver)"
			echo "want: $want (version $libversion)"
		} >"$out/pkgconfig.diff"
		not_ok "pkg-config: flags through the sysroot" "$out/pkgconfig.diff"
	else
		ok "pkg-config: refslab $modver, prefix $prefix; through the sysroot: $want"
	fi
}

check_example() {
	local exe=$out/pkgconfig-example flags needed
	local -a pcflags=()
	rm -f "$exe"
	flags=$(pc --cflags --libs refslab 2>/dev/null) || true
	read -ra pcflags <<<"$flags"
	if ! cc -O2 -g -Wall -Wextra -Werror -o "$exe" \
		"$top/vm/pkgconfig-example.c" "${pcflags[@]}" >"$out/example.log" 2>&1; then
		not_ok "example: cc pkgconfig-example.c \$(pkg-config --cflags --libs refslab) failed" \
			"$out/example.log"
		return
	fi
	needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(librefslab[^]]*\)\]/\1/p')
	if [[ $needed != "librefslab.so.$somajor" ]]; then
		readelf -d "$exe" >"$out/example.log" 2>&1
		not_ok "example: NEEDED '$needed', not librefslab.so.$somajor" "$out/example.log"
	elif nm --defined-only "$exe" | grep -q ' T refslab_'; then
		not_ok "example: refslab_* defined in the program: the static library was linked"
	elif ! LD_LIBRARY_PATH=$dest$prefix/lib ldd -r "$exe" >"$out/example.ldd" 2>&1 ||
		grep -qE 'not found|undefined symbol' "$out/example.ldd" ||
		! grep -q "librefslab.so.$somajor => $dest$prefix/lib/" "$out/example.ldd"; then
		not_ok "example: symbols not resolved by destdir's library" "$out/example.ldd"
	else
		ok "example: pkgconfig-example linked against librefslab.so.$somajor (NEEDED), resolved by destdir (ldd -r)"
	fi
}

check_reinstall() {
	modes "$dest" >"$out/reinstall.before"
	if ! make_in "$out/reinstall.log" install DESTDIR="$dest" KDIR="$kdir612"; then
		not_ok "reinstall: a second make install failed" "$out/reinstall.log"
		return
	fi
	modes "$dest" >"$out/reinstall.after"
	if diff -u "$out/reinstall.before" "$out/reinstall.after" >"$out/reinstall.diff"; then
		ok "reinstall: a second make install leaves the same $(wc -l <"$out/reinstall.after") files"
	else
		not_ok "reinstall: a second make install changed the files" "$out/reinstall.diff"
	fi
}

check_uninstall() {
	local copy=$out/uninstall
	rm -rf "$copy"
	cp -a "$dest" "$copy"
	if ! make_in "$out/uninstall.log" uninstall DESTDIR="$copy" KDIR="$kdir612"; then
		not_ok "uninstall: make uninstall failed" "$out/uninstall.log"
		return
	fi
	listing "$copy" >"$out/uninstall.left"
	if [[ -s $out/uninstall.left ]]; then
		not_ok "uninstall: files left behind" "$out/uninstall.left"
	else
		ok "uninstall: no file left (only empty directories)"
	fi
}

# A root that has the kernel (empty modules.order and modules.builtin: a
# kernel whose modules are all elsewhere): install must run depmod there.
check_depmod() {
	local root=$out/root mdir=$out/root/lib/modules/$rel612 shown
	rm -rf "$root"
	mkdir -p "$mdir"
	touch "$mdir/modules.order" "$mdir/modules.builtin" "$mdir/modules.builtin.modinfo"
	if ! make_in "$out/depmod-install.log" install DESTDIR="$root" KDIR="$kdir612"; then
		not_ok "depmod: make install into a root failed" "$out/depmod-install.log"
		return
	fi
	shown=$(modprobe -d "$root" -S "$rel612" --show-depends refslab 2>&1) || true
	shown=${shown% }
	if ! grep -q '^updates/module/refslab\.ko' "$mdir/modules.dep" 2>/dev/null; then
		not_ok "depmod: modules.dep does not list refslab" "$out/depmod-install.log"
		return
	elif [[ $shown != "insmod $mdir/updates/module/refslab.ko"* ]]; then
		echo "$shown" >"$out/depmod-modprobe.log"
		not_ok "depmod: modprobe does not find refslab" "$out/depmod-modprobe.log"
		return
	fi
	if ! make_in "$out/depmod-uninstall.log" uninstall DESTDIR="$root" KDIR="$kdir612"; then
		not_ok "depmod: make uninstall from a root failed" "$out/depmod-uninstall.log"
	elif grep -q refslab "$mdir/modules.dep" || find "$root" -name '*refslab*' | grep -q .; then
		{
			grep refslab "$mdir/modules.dep"
			find "$root" -name '*refslab*'
		} >"$out/depmod-left.log" || true
		not_ok "depmod: refslab still there after uninstall" "$out/depmod-left.log"
	else
		ok "depmod: install ran depmod -b (modprobe: ${shown#insmod "$root"/}), uninstall ran it again"
	fi
}

check_stock61() {
	local d61=$out/destdir-stock61 ko vermagic
	if [[ -z $rel61 || ! -d $kdir61 ]]; then
		not_ok "stock61: no stock 6.1 headers (run vm/setup.sh)"
		return
	fi
	rm -rf "$d61"
	if ! make_in "$out/stock61-install.log" install DESTDIR="$d61" KDIR="$kdir61"; then
		not_ok "stock61: make install KDIR=$kdir61 failed" "$out/stock61-install.log"
		return
	fi
	ko=$(installed_module "$d61" "$rel61")
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null) || true
	if [[ -z $ko || ${vermagic%% *} != "$rel61" ]]; then
		listing "$d61" >"$out/stock61.found"
		not_ok "stock61: no module under lib/modules/$rel61 with its vermagic ('$vermagic')" \
			"$out/stock61.found"
	elif ! make_in "$out/stock61-uninstall.log" uninstall DESTDIR="$d61" KDIR="$kdir61"; then
		not_ok "stock61: make uninstall failed" "$out/stock61-uninstall.log"
	elif [[ -n $(listing "$d61") ]]; then
		listing "$d61" >"$out/stock61.left"
		not_ok "stock61: uninstall left files" "$out/stock61.left"
	else
		ok "stock61: ${ko#"$d61"/}, vermagic $rel61; uninstalled"
	fi
}

# dkms add, build and install into a dkms tree, source tree and install
# tree of its own, with a throw-away signing key kept in $out (dkms would
# make one in /var/lib/dkms otherwise).
check_dkms() {
	local kernel=$1 rel dir log ko vermagic signer
	local -a dkms
	rel=$(kernel_release "$kernel")
	if ! command -v dkms >/dev/null; then
		not_ok "dkms-$kernel: dkms is not installed (run vm/setup.sh)"
		return
	fi
	if [[ -z $rel || ! -d /lib/modules/$rel/build ]]; then
		not_ok "dkms-$kernel: no headers for $kernel (run vm/setup.sh)"
		return
	fi
	dir=$out/dkms-$kernel
	log=$out/dkms-$kernel.log
	rm -rf "$dir"
	mkdir -p "$dir/src/refslab-$dkmsversion" "$dir/tree" "$dir/install/$rel" "$dir/tmp"
	copy_sources "$top" "$dir/src/refslab-$dkmsversion" dkms.conf Kbuild module uapi
	dkms=(env TMPDIR="$dir/tmp" mok_signing_key="$out/dkms-mok.key"
		mok_certificate="$out/dkms-mok.pub"
		dkms --sourcetree "$dir/src" --dkmstree "$dir/tree"
		--installtree "$dir/install")
	: >"$log"
	if ! { "${dkms[@]}" add "refslab/$dkmsversion" &&
		"${dkms[@]}" build "refslab/$dkmsversion" -k "$rel" &&
		"${dkms[@]}" install --no-depmod "refslab/$dkmsversion" -k "$rel"; } \
		>>"$log" 2>&1; then
		cat "$dir"/tree/refslab/*/build/make.log >>"$log" 2>/dev/null || true
		not_ok "dkms-$kernel: dkms add/build/install for $rel failed" "$log"
		return
	fi
	ko=$(find "$dir/install/$rel/updates/dkms" -name 'refslab.ko*' 2>/dev/null | head -n 1)
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null) || true
	signer=$(modinfo -F signer "$ko" 2>/dev/null) || true
	if [[ -z $ko || ${vermagic%% *} != "$rel" ]]; then
		find "$dir/tree" "$dir/install" >>"$log" 2>&1 || true
		not_ok "dkms-$kernel: no refslab.ko with vermagic $rel ('$vermagic')" "$log"
	elif grep -q refslab_kunit "$dir"/tree/refslab/"$dkmsversion"/"$rel"/*/log/make.log; then
		not_ok "dkms-$kernel: the KUnit module was built" \
			"$(echo "$dir"/tree/refslab/"$dkmsversion"/"$rel"/*/log/make.log)"
	elif ! "${dkms[@]}" status "refslab/$dkmsversion" -k "$rel" 2>/dev/null |
		grep -q ': installed'; then
		not_ok "dkms-$kernel: dkms status does not say installed" "$log"
	elif [[ -e /usr/src/refslab-$dkmsversion || -e /var/lib/dkms/refslab ]]; then
		not_ok "dkms-$kernel: dkms wrote into /usr/src or /var/lib/dkms"
	else
		ok "dkms-$kernel: ${ko#"$dir"/install/}, vermagic $rel${signer:+, signed by \"$signer\"}"
	fi
}

echo "== install: make install, make uninstall, DKMS =="
t0=$SECONDS
rm -rf "$out"
mkdir -p "$out"
mok_before=$(ls /var/lib/dkms/mok.* 2>/dev/null || true)
check_versions
if [[ -z $rel612 || ! -d $kdir612 ]]; then
	for t in install modinfo library pkg-config example reinstall uninstall depmod; do
		not_ok "$t: no stock 6.12 headers (run vm/setup.sh)"
	done
elif check_install; then
	check_modinfo
	check_library
	check_pkgconfig
	check_example
	check_reinstall
	check_uninstall
	check_depmod
else
	for t in modinfo library pkg-config example reinstall uninstall depmod; do
		skip "$t" "make install failed"
	done
fi
check_stock61
check_dkms stock61
check_dkms stock612
if [[ $(ls /var/lib/dkms/mok.* 2>/dev/null || true) != "$mok_before" ]]; then
	not_ok "dkms: a signing key appeared in /var/lib/dkms"
fi
echo "    # $((SECONDS - t0)) s"
tap_result install
((failed == 0))
