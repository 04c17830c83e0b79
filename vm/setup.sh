#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the refslab rig needs from Debian's archive, and nothing
# else.  Idempotent: every package is checked with dpkg-query first, and
# `apt-get update` runs only when something is missing, so a second run
# touches no network.
#
# The stock 6.12 headers are pinned to one exact package name, the newest
# linux-headers-6.12.N+deb12-amd64 the archive offers: a glob would install
# every version plus an image and systemd.  The PREEMPT_RT headers
# (linux-headers-<that version>-rt-amd64) are of the same version.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

packages=(
	build-essential bc flex bison libelf-dev libssl-dev dwarves
	qemu-system-x86 busybox-static cpio sparse kmod
	linux-source-6.12 linux-headers-amd64
	dkms pkgconf
	shellcheck python3-docutils coccinelle
)

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

# Newest stock 6.12 headers package known to apt, by exact name.
newest_headers_612() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{ print $1 }' | sort -V | tail -n 1
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
# Any installed stock 6.12 headers satisfy a warm run; a cold run resolves
# the newest one after `apt-get update`.
have612=$(stock612_release)
if [[ -n $have612 ]] && ! installed "linux-headers-$(rt_release)"; then
	missing+=("linux-headers-$(rt_release)")
fi

if ((${#missing[@]} == 0)) && [[ -n $have612 ]]; then
	log "setup: all packages present (stock 6.12 headers: $have612, rt: $(rt_release))"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log "setup: installing missing packages: ${missing[*]:-stock 6.12 headers}"
apt-get update -q >&2
if [[ -z $have612 ]]; then
	h612=$(newest_headers_612)
	[[ -n $h612 ]] || die "no linux-headers-6.12.*+deb12-amd64 in the archive"
	missing+=("$h612" "${h612%-amd64}-rt-amd64")
fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
[[ -n $(stock612_release) ]] || die "stock 6.12 headers still missing"
installed "linux-headers-$(rt_release)" || die "rt 6.12 headers still missing"
[[ -n $(stock61_release) ]] || die "stock 6.1 headers still missing"
log "setup: done"
