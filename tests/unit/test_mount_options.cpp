// Unit tests for OCI mount option parsing (runtime/mount_options).
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "runtime/rootfs/mount_options.hpp"

using namespace vcrun::mounts;

namespace {

struct AttrCase {
  const char* word;
  uint64_t set;
  uint64_t clr;
};

}  // namespace

TEST_CASE("attribute words set or clear one bit each", "[unit]") {
  const AttrCase cases[] = {
      {"ro", MOUNT_ATTR_RDONLY, 0},
      {"rw", 0, MOUNT_ATTR_RDONLY},
      {"nosuid", MOUNT_ATTR_NOSUID, 0},
      {"suid", 0, MOUNT_ATTR_NOSUID},
      {"nodev", MOUNT_ATTR_NODEV, 0},
      {"dev", 0, MOUNT_ATTR_NODEV},
      {"noexec", MOUNT_ATTR_NOEXEC, 0},
      {"exec", 0, MOUNT_ATTR_NOEXEC},
      {"nodiratime", MOUNT_ATTR_NODIRATIME, 0},
      {"diratime", 0, MOUNT_ATTR_NODIRATIME},
      {"noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
      {"strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
      {"relatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
      {"atime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
      {"norelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
      {"nostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
  };
  for (const auto& c : cases) {
    INFO(c.word);
    MountOptions o = parse_mount_options({c.word});
    CHECK(o.attr.set == c.set);
    CHECK(o.attr.clr == c.clr);
    CHECK(o.recursive_attr.empty());
    CHECK(o.data.empty());
    CHECK(o.sb_flags.empty());
    CHECK_FALSE(o.bind);
  }
}

TEST_CASE("later words override earlier ones", "[unit]") {
  MountOptions o = parse_mount_options({"ro", "nosuid", "rw", "noatime", "strictatime"});
  CHECK(o.attr.set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
  CHECK(o.attr.clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME));
  o = parse_mount_options({"rw", "ro"});
  CHECK(o.attr.set == MOUNT_ATTR_RDONLY);
  CHECK(o.attr.clr == 0);
}

TEST_CASE("recursive attribute words go to recursive_attr", "[unit]") {
  MountOptions o = parse_mount_options({"rbind", "rro", "rnosuid", "rdev", "rnoatime"});
  CHECK(o.bind);
  CHECK(o.recursive);
  CHECK(o.attr.empty());
  CHECK(o.recursive_attr.set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
  CHECK(o.recursive_attr.clr == (MOUNT_ATTR_NODEV | MOUNT_ATTR__ATIME));
}

TEST_CASE("bind and rbind", "[unit]") {
  MountOptions o = parse_mount_options({"bind", "ro"});
  CHECK(o.bind);
  CHECK_FALSE(o.recursive);
  CHECK(o.attr.set == MOUNT_ATTR_RDONLY);
  o = parse_mount_options({"rbind"});
  CHECK(o.bind);
  CHECK(o.recursive);
  o = parse_mount_options({"nosuid"});
  CHECK_FALSE(o.bind);
}

TEST_CASE("propagation words", "[unit]") {
  struct Case {
    const char* word;
    unsigned long flag;
    bool rec;
  };
  const Case cases[] = {
      {"private", MS_PRIVATE, false},  {"rprivate", MS_PRIVATE, true},
      {"shared", MS_SHARED, false},    {"rshared", MS_SHARED, true},
      {"slave", MS_SLAVE, false},      {"rslave", MS_SLAVE, true},
      {"unbindable", MS_UNBINDABLE, false}, {"runbindable", MS_UNBINDABLE, true},
  };
  for (const auto& c : cases) {
    INFO(c.word);
    MountOptions o = parse_mount_options({c.word});
    CHECK(o.propagation == c.flag);
    CHECK(o.propagation_recursive == c.rec);
    CHECK(o.data.empty());
    unsigned long flag = 0;
    bool rec = false;
    CHECK(parse_propagation(c.word, flag, rec));
    CHECK(flag == c.flag);
    CHECK(rec == c.rec);
  }
  unsigned long flag = 0;
  bool rec = false;
  CHECK_FALSE(parse_propagation("rw", flag, rec));
  CHECK_FALSE(parse_propagation("sharedd", flag, rec));
  CHECK_FALSE(parse_propagation("", flag, rec));
}

TEST_CASE("superblock flags, data words, ignored and remount", "[unit]") {
  MountOptions o = parse_mount_options({"nosuid", "mode=755", "sync", "size=65536k", "dirsync",
                                        "newinstance", "mand", "nomand", "async", "remount",
                                        "tmpcopyup", "lazytime"});
  CHECK(o.attr.set == MOUNT_ATTR_NOSUID);
  CHECK(o.sb_flags ==
        std::vector<std::string>{"sync", "dirsync", "mand", "nomand", "async", "lazytime"});
  CHECK(o.data == std::vector<std::string>{"mode=755", "size=65536k", "newinstance"});
  CHECK(o.data_string() == "mode=755,size=65536k,newinstance");
  CHECK(o.remount);
  CHECK(o.tmpcopyup);
  CHECK(o.ignored.empty());
}

TEST_CASE("the OCI default spec's mount options", "[unit]") {
  MountOptions dev = parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k"});
  CHECK(dev.attr.set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
  CHECK(dev.data_string() == "mode=755,size=65536k");

  MountOptions pts = parse_mount_options(
      {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  CHECK(pts.attr.set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  CHECK(pts.data == std::vector<std::string>{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});

  MountOptions sys = parse_mount_options({"nosuid", "noexec", "nodev", "ro"});
  CHECK(sys.attr.set ==
        (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV | MOUNT_ATTR_RDONLY));
  CHECK(sys.data.empty());

  MountOptions empty = parse_mount_options({});
  CHECK(empty.attr.empty());
  CHECK(empty.data_string().empty());
  CHECK(empty.propagation == 0);
}
