/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_DEBUGFS_H
#define _REFSLAB_DEBUGFS_H

void refslab_debugfs_init(void);
void refslab_debugfs_exit(void);

#endif /* _REFSLAB_DEBUGFS_H */
