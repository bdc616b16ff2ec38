// OCI / mount(8) option words -> mount attributes, superblock flags, data and propagation.
#include "runtime/rootfs/mount_options.hpp"

#include <sys/mount.h>

#include <array>

namespace vcrun::mounts {

namespace {

struct AttrWord {
  const char* word;
  uint64_t bit;
  bool set;  // true: the word turns the bit on; false: off
};

// Per-mount attributes. Each also exists with an "r" prefix (rro, rnosuid, ...) meaning
// "on this mount and every submount" (mount_setattr AT_RECURSIVE), as runc spells them.
constexpr std::array<AttrWord, 10> kAttrWords{{
    {"ro", MOUNT_ATTR_RDONLY, true},
    {"rw", MOUNT_ATTR_RDONLY, false},
    {"nosuid", MOUNT_ATTR_NOSUID, true},
    {"suid", MOUNT_ATTR_NOSUID, false},
    {"nodev", MOUNT_ATTR_NODEV, true},
    {"dev", MOUNT_ATTR_NODEV, false},
    {"noexec", MOUNT_ATTR_NOEXEC, true},
    {"exec", MOUNT_ATTR_NOEXEC, false},
    {"nodiratime", MOUNT_ATTR_NODIRATIME, true},
    {"diratime", MOUNT_ATTR_NODIRATIME, false},
}};

struct AtimeWord {
  const char* word;
  uint64_t mode;
};

// The atime modes are one 3-state field. "atime", "norelatime" and "nostrictatime" only
// undo another mode, which leaves the kernel default: relatime (as mount(2) does when
// neither MS_NOATIME nor MS_STRICTATIME is passed).
constexpr std::array<AtimeWord, 6> kAtimeWords{{
    {"relatime", MOUNT_ATTR_RELATIME},
    {"norelatime", MOUNT_ATTR_RELATIME},
    {"atime", MOUNT_ATTR_RELATIME},
    {"noatime", MOUNT_ATTR_NOATIME},
    {"strictatime", MOUNT_ATTR_STRICTATIME},
    {"nostrictatime", MOUNT_ATTR_RELATIME},
}};

// Superblock flags: only a new filesystem can take them (fsconfig flags).
constexpr std::array<const char*, 7> kSbWords{
    {"sync", "async", "dirsync", "mand", "nomand", "lazytime", "nolazytime"}};

void set_bit(AttrChange& a, uint64_t bit, bool on) {
  if (on) {
    a.set |= bit;
    a.clr &= ~bit;
  } else {
    a.clr |= bit;
    a.set &= ~bit;
  }
}

void set_atime(AttrChange& a, uint64_t mode) {
  a.clr |= MOUNT_ATTR__ATIME;
  a.set = (a.set & ~static_cast<uint64_t>(MOUNT_ATTR__ATIME)) | mode;
}

// Applies `word` as an attribute word to `a`; false when it is not one.
bool apply_attr_word(const std::string& word, AttrChange& a) {
  for (const auto& w : kAttrWords) {
    if (word == w.word) {
      set_bit(a, w.bit, w.set);
      return true;
    }
  }
  for (const auto& w : kAtimeWords) {
    if (word == w.word) {
      set_atime(a, w.mode);
      return true;
    }
  }
  return false;
}

}  // namespace

bool parse_propagation(const std::string& word, unsigned long& flag, bool& recursive) {
  std::string base = word;
  recursive = false;
  if (base.size() > 1 && base[0] == 'r' && base != "rw") {
    // "rshared" etc; but "rw" is not a propagation word anyway.
    std::string rest = base.substr(1);
    if (rest == "shared" || rest == "slave" || rest == "private" || rest == "unbindable") {
      recursive = true;
      base = rest;
    }
  }
  if (base == "shared") flag = MS_SHARED;
  else if (base == "slave") flag = MS_SLAVE;
  else if (base == "private") flag = MS_PRIVATE;
  else if (base == "unbindable") flag = MS_UNBINDABLE;
  else return false;
  return true;
}

MountOptions parse_mount_options(const std::vector<std::string>& words) {
  MountOptions o;
  for (const auto& word : words) {
    if (word.empty()) continue;
    if (word == "bind") {
      o.bind = true;
      o.recursive = false;
      continue;
    }
    if (word == "rbind") {
      o.bind = true;
      o.recursive = true;
      continue;
    }
    if (word == "remount") {
      o.remount = true;
      continue;
    }
    // tmpcopyup (copy the image's content into a new tmpfs) is a podman/crun extension.
    if (word == "tmpcopyup") {
      o.tmpcopyup = true;
      continue;
    }
    // "defaults" is mount(8)'s placeholder for "no options".
    if (word == "defaults") {
      o.ignored.push_back(word);
      continue;
    }
    if (apply_attr_word(word, o.attr)) continue;
    if (word.size() > 1 && word[0] == 'r' && apply_attr_word(word.substr(1), o.recursive_attr))
      continue;
    unsigned long prop = 0;
    bool prop_rec = false;
    if (parse_propagation(word, prop, prop_rec)) {
      o.propagation = prop;
      o.propagation_recursive = prop_rec;
      continue;
    }
    bool sb = false;
    for (const char* w : kSbWords) sb = sb || word == w;
    if (sb) {
      o.sb_flags.push_back(word);
      continue;
    }
    o.data.push_back(word);
  }
  return o;
}

std::vector<std::string> known_mount_options() {
  std::vector<std::string> words = {"bind", "rbind", "remount", "defaults"};
  for (const auto& w : kAttrWords) {
    words.emplace_back(w.word);
    words.push_back(std::string("r") + w.word);
  }
  for (const auto& w : kAtimeWords) {
    words.emplace_back(w.word);
    words.push_back(std::string("r") + w.word);
  }
  for (const char* p : {"shared", "slave", "private", "unbindable"}) {
    words.emplace_back(p);
    words.push_back(std::string("r") + p);
  }
  for (const char* w : kSbWords) words.emplace_back(w);
  return words;
}

std::string MountOptions::data_string() const {
  std::string out;
  for (const auto& d : data) {
    if (!out.empty()) out += ',';
    out += d;
  }
  return out;
}

}  // namespace vcrun::mounts
