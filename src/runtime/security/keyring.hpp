// The session keyring of container processes.
#pragma once

namespace vcrun {

// Gives the calling process a new, empty, anonymous session keyring, so a container never
// possesses the keys of whoever ran vcrun (Kerberos tickets, fscrypt and ecryptfs keys
// live in session keyrings). Anonymous rather than runc's "_ses.<id>": KEYCTL_JOIN by name
// joins any same-named keyring the caller may search, so a container that made one
// searchable would be joined by every later container of the same name. Kernels without
// keys (ENOSYS) are accepted; any other error throws, naming --no-new-keyring.
void join_new_session_keyring();

}  // namespace vcrun
