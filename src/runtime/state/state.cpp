// The state store: per-container directories with atomically written JSON and flocks.
#include "runtime/state/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "base/dir_fd.hpp"
#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "cgroup/freezer.hpp"
#include "vcrun/error.hpp"

namespace vcrun::state {

const char* status_name(Status s) {
  switch (s) {
    case Status::creating: return "creating";
    case Status::created: return "created";
    case Status::running: return "running";
    case Status::paused: return "paused";
    case Status::stopped: return "stopped";
  }
  return "unknown";
}

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty() || root_[0] != '/') throw SpecError("Runtime.root", "must be an absolute path");
  // Walked and made through descriptors: a root whose name (or a link on the way in a
  // directory others can write) was swapped for a symlink is refused, not followed into a
  // directory whose writer would then feed delete its records.
  open_dir_chain(root_, 0700, true, "Runtime.root");
}

std::string Store::cgroup_name(const std::string& id) const {
  if (root_ == kDefaultRoot) return id;
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64: stable across builds and machines
  for (unsigned char c : root_) h = (h ^ c) * 1099511628211ull;
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(h ^ (h >> 32)));
  return id + "@" + tag;
}

// Every verb checks an id: a plain loop, not a std::regex built on each start.
void Store::validate_id(const std::string& id) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !id.empty() && id.size() <= 128 && alnum(id[0]);
  for (char c : id) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok)
    throw SpecError("id", "\"" + id + "\" must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
}

void Store::create_dir(const std::string& id) const {
  validate_id(id);
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("container " + id + " already exists", EEXIST);
    throw_errno("mkdir " + d);
  }
}

bool Store::exists(const std::string& id) const {
  struct stat st;
  return ::stat(dir(id).c_str(), &st) == 0;
}

static Lock flock_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY));
  if (!fd) {
    if (errno == ENOENT) {
      auto id = std::filesystem::path(path).filename().string();
      throw Error("container " + id + " does not exist", ENOENT);
    }
    throw_errno("open " + path);
  }
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno("flock " + path);
  return Lock(std::move(fd));
}

// Locking the directory itself: a waiter on a deleted container then finds no state.
Lock Store::lock(const std::string& id) const {
  validate_id(id);
  return flock_dir(dir(id));
}


void Store::save(const ContainerState& st) const {
  nlohmann::json j = {{"id", st.id},
                      {"bundle", st.bundle},
                      {"ociVersion", st.oci_version},
                      {"pid", st.pid},
                      {"pidStartTime", st.pid_start_time},
                      {"started", st.started},
                      {"rootfs", st.rootfs},
                      {"cgroupPath", st.cgroup_path},
                      {"created", st.created},
                      {"newKeyring", st.new_keyring},
                      {"annotations", st.annotations},
                      {"teardown", teardown::record_json(st.teardown)}};
  write_file_atomic(dir(st.id) + "/state.json", j.dump(), 0600);
}

ContainerState Store::load(const std::string& id) const {
  validate_id(id);
  std::string path = dir(id) + "/state.json";
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    if (e.code() == ENOENT) throw Error("container " + id + " does not exist", ENOENT);
    throw;
  }
  try {
    auto j = nlohmann::json::parse(text);
    ContainerState st;
    st.id = j.at("id").get<std::string>();
    // The directory's name is the id: a record naming another would have delete act on,
    // and remove, that other container.
    if (st.id != id) throw std::invalid_argument("its id is \"" + st.id + "\", not the directory's");
    st.bundle = j.at("bundle").get<std::string>();
    st.oci_version = j.at("ociVersion").get<std::string>();
    st.pid = j.at("pid").get<pid_t>();
    st.pid_start_time = j.at("pidStartTime").get<uint64_t>();
    st.started = j.at("started").get<bool>();
    st.rootfs = j.at("rootfs").get<std::string>();
    st.cgroup_path = j.at("cgroupPath").get<std::string>();
    st.created = j.at("created").get<std::string>();
    st.new_keyring = j.value("newKeyring", true);
    st.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    if (j.contains("teardown")) {
      st.teardown = teardown::record_from_json(j.at("teardown"));
    } else {
      // Written before the teardown record existed: its cgroup fields say the same.
      auto dirs = j.value("cgroupDirsMade", std::vector<std::string>{});
      if (!dirs.empty()) st.teardown.record(cgroup::MadeCgroupDirs{dirs});
      if (!st.cgroup_path.empty()) st.teardown.record(cgroup::MadeCgroup{st.cgroup_path, j.value("cgroupCreated", true)});
    }
    return st;
  } catch (const std::exception& e) {
    // The parser's message quotes the bytes it stopped at: random bytes stay printable.
    throw Error(printable(path + ": corrupt state: " + e.what()), EINVAL);
  }
}

std::vector<std::string> Store::list() const {
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    if (!entry.is_directory()) continue;
    auto name = entry.path().filename().string();
    if (std::filesystem::exists(entry.path() / "state.json")) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Store::remove(const std::string& id) const {
  validate_id(id);
  std::error_code ec;
  std::filesystem::remove_all(dir(id), ec);
  if (ec) throw Error("remove " + dir(id) + ": " + ec.message(), ec.value());
}

std::string Store::owner(const std::string& id) const {
  struct stat st;
  if (::stat(dir(id).c_str(), &st) != 0) throw_errno("stat " + dir(id));
  return user_name(st.st_uid);
}

std::string user_name(uid_t uid) {
  std::string passwd;
  try {
    passwd = read_file("/etc/passwd");
  } catch (const Error&) {
  }
  // name:password:uid:...
  for (size_t pos = 0; pos < passwd.size();) {
    size_t end = passwd.find('\n', pos);
    if (end == std::string::npos) end = passwd.size();
    std::string_view line(passwd.data() + pos, end - pos);
    pos = end + 1;
    auto c1 = line.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    auto c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
    if (c3 == std::string_view::npos || c1 == 0) continue;
    if (line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid)) return std::string(line.substr(0, c1));
  }
  // Appended, not "#" + std::to_string(): GCC 12 -O3 warns falsely on that (GCC bug 105329).
  std::string unknown = "#";
  unknown += std::to_string(uid);
  return unknown;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return std::nullopt;
  }
  // The command name may contain spaces and ')': fields start after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::string rest = stat.substr(close + 2);
  // rest starts at field 3 (state); starttime is field 22.
  size_t pos = 0;
  for (int field = 3; field < 22; ++field) {
    pos = rest.find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
  }
  if (rest[0] == 'Z' || rest[0] == 'X') return std::nullopt;  // dead, awaiting reaping
  return std::stoull(rest.substr(pos, rest.find(' ', pos) - pos));
}

bool init_alive(const ContainerState& st) {
  auto t = process_start_time(st.pid);
  return t && *t == st.pid_start_time;
}

std::string oci_state_json(const ContainerState& st, Status status,
                           const std::optional<std::string>& owner) {
  // runc's field order. The pid is left out once the container stopped (the OCI state
  // requires it only while created or running; runc prints 0).
  nlohmann::ordered_json j = {{"ociVersion", st.oci_version}, {"id", st.id}};
  if (status != Status::stopped && st.pid > 0) j["pid"] = st.pid;
  j["status"] = status_name(status);
  j["bundle"] = st.bundle;
  j["rootfs"] = st.rootfs;
  j["created"] = st.created;
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  if (owner) j["owner"] = *owner;
  return j.dump(2);
}

static bool cgroup_frozen(const std::string& cgroup_path) {
  if (cgroup_path.empty()) return false;
  try {
    return cgroup::is_frozen(cgroup_path);
  } catch (const Error&) {
    return false;
  }
}

Status current_status(const ContainerState& st) {
  if (st.pid == 0) return Status::creating;
  if (!init_alive(st)) return Status::stopped;
  if (cgroup_frozen(st.cgroup_path)) return Status::paused;
  return st.started ? Status::running : Status::created;
}

}  // namespace vcrun::state
