// Copying a directory tree between two open directories, for tmpfs "tmpcopyup".
#pragma once

namespace vcrun::rootfs {

// Copies everything below `from` (a directory fd opened for reading) into `to` (a
// directory fd): directories, regular files with their data, symlinks as links, fifos and
// device nodes; each with its mode (setuid/setgid/sticky included) and owner. Never
// follows a symlink. Throws vcrun::Error naming the entry that failed.
void copy_tree(int from, int to);

}  // namespace vcrun::rootfs
