/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_OBJFILE_H
#define _REFSLAB_OBJFILE_H

#include <linux/types.h>

struct file;
struct refslab_object;

struct file *refslab_objfile_create(struct refslab_object *obj, u32 rights,
				    int flags);
struct refslab_object *refslab_objfile_get_object(int fd, u32 *rights);

#endif /* _REFSLAB_OBJFILE_H */
