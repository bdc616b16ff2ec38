// vcrun::unify, top to bottom: scan, size buckets, hash (or the index), metadata and
// byte comparison, then the links, one at a time, each crash-safe.
#include "vcrun/unify.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>

#include "unify/buckets.hpp"
#include "unify/index.hpp"
#include "unify/index_file.hpp"
#include "unify/marker.hpp"
#include "unify/meta.hpp"
#include "unify/parallel.hpp"
#include "unify/scan.hpp"
#include "unify/tree_io.hpp"
#include "unify/tree_list.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

using namespace unify;

// Workers warn too, and the CLI's logger writes through a single-threaded sink.
void warn_skip(const std::string& path, const std::string& why) {
  static std::mutex m;
  std::lock_guard lock(m);
  spdlog::warn("unify: skipping {}: {}", path, why);
}

struct Inode {
  uint64_t dev = 0, ino = 0, size = 0, blocks = 0, nlink = 0;
  int64_t ctime_ns = 0, mtime_ns = 0;
  std::vector<uint32_t> files;  // its paths in the trees, scan order
  uint64_t hash = 0;
  std::optional<Meta> meta;  // read with the hash, or before comparing (index hits)
  bool usable = true;        // false once it changed or vanished during the run
  // Found byte-identical this run to inode `same_as` (the bucket's reference, itself
  // included), both unchanged since the scan; SIZE_MAX when not compared that way.
  size_t same_as = SIZE_MAX;
};

// One decided link: every path of `victim` becomes a name of `keep`.
struct Action {
  size_t keep, victim;
};

// Counters shared with the workers; the progress callback sees a snapshot.
struct Live {
  std::atomic<uint64_t> scanned{0}, hashed{0}, hits{0}, links{0};
};

class Run {
 public:
  explicit Run(const UnifyOptions& o) : opts_(o), start_(std::chrono::steady_clock::now()) {
    report_.dry_run = o.dry_run;
    jobs_ = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  }

  UnifyReport go() {
    if (opts_.dirs.empty()) throw Error("unify: give at least one DIR");
    // The index's directory and file are checked before anything else is touched.
    if (!opts_.index_path.empty()) index_file_ = IndexFile::open(opts_.index_path);
    trees_ = open_trees(opts_.dirs, index_file_ ? index_file_->dir_path() : "");
    index_ = index_file_ ? index_file_->load() : Index{};

    phase("scan");
    parallel_for(1, 1, [&](size_t) { scan_ = scan_trees(trees_, opts_.dry_run, live_.scanned); }, tick());
    report_.temporaries_removed = scan_.temporaries_removed;
    collect_inodes();

    phase("hash");
    auto buckets = size_buckets(candidates(), opts_.min_size);
    hash_buckets(buckets);

    phase("compare");
    std::vector<std::vector<size_t>> groups;
    for (const auto& b : buckets)
      for (auto& g : split_by_key(b, [&](size_t i) { return inodes_[i].hash; }))
        groups.push_back(std::move(g));
    std::mutex m;
    parallel_for(groups.size(), jobs_, [&](size_t g) {
      auto found = compare_group(groups[g]);
      std::lock_guard lock(m);
      actions_.insert(actions_.end(), found.begin(), found.end());
    }, tick());

    phase("link");
    if (!opts_.dry_run) {
      // Marked before the first link: a tree that shares even one inode must never run
      // without the copy-on-write overlay, even after a kill in the middle of this run.
      // Listed before it is marked: the runtime finds a marked tree from above by the list.
      if (index_file_) {
        std::vector<std::string> real;
        for (const auto& t : trees_) real.push_back(t.real);
        register_trees(*index_file_, real);
      }
      for (const auto& t : trees_) mark_unified(t.fd.get(), t.path);
    }
    apply();
    if (!opts_.dry_run && index_file_) {
      index_.age_unseen();
      index_file_->save(index_);
    }
    phase("done");
    return snapshot();
  }

 private:
  const UnifyOptions& opts_;
  std::chrono::steady_clock::time_point start_;
  unsigned jobs_ = 1;
  UnifyReport report_;
  Live live_;
  std::optional<IndexFile> index_file_;
  std::vector<Tree> trees_;
  Index index_;
  ScanResult scan_;
  std::vector<Inode> inodes_;
  std::vector<Action> actions_;

  UnifyReport snapshot() {
    UnifyReport r = report_;
    r.files_scanned = live_.scanned.load();
    r.files_hashed = live_.hashed.load();
    r.index_hits = live_.hits.load();
    r.links_made = live_.links.load();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return r;
  }

  void phase(const char* name) {
    report_.phase = name;
    if (opts_.progress) opts_.progress(snapshot());
  }

  std::function<void()> tick() {
    if (!opts_.progress) return {};
    return [this] { opts_.progress(snapshot()); };
  }

  const FileEntry& file(uint32_t i) const { return scan_.files[i]; }
  int tree_fd(const FileEntry& f) const { return trees_[scan_.dirs[f.dir].tree].fd.get(); }
  std::string shown(const FileEntry& f) const { return display_path(trees_, scan_, f); }

  void collect_inodes() {
    std::map<std::pair<uint64_t, uint64_t>, size_t> slot;
    for (uint32_t i = 0; i < scan_.files.size(); ++i) {
      const FileEntry& f = scan_.files[i];
      auto [it, fresh] = slot.try_emplace({f.dev, f.ino}, inodes_.size());
      if (fresh) {
        Inode n;
        n.dev = f.dev, n.ino = f.ino, n.size = f.size, n.blocks = f.blocks, n.nlink = f.nlink;
        n.ctime_ns = f.ctime_ns, n.mtime_ns = f.mtime_ns;
        inodes_.push_back(std::move(n));
      }
      inodes_[it->second].files.push_back(i);
    }
  }

  std::vector<Candidate> candidates() const {
    std::vector<Candidate> c;
    c.reserve(inodes_.size());
    for (const auto& n : inodes_) c.push_back({n.dev, n.size});
    return c;
  }

  // Opens inode `i` by its first path for reading and checks it is still that inode,
  // unchanged since the scan; invalid fd (and the inode unusable) otherwise.
  UniqueFd open_unchanged(size_t i, int flags, bool check_ctime) {
    Inode& n = inodes_[i];
    const FileEntry& f = file(n.files.front());
    // O_NOATIME keeps a run from dirtying every inode it reads (not with O_PATH: openat2
    // refuses other flags beside it).
    UniqueFd fd;
    if (!(flags & O_PATH)) fd = open_beneath(tree_fd(f), rel_path(scan_, f), flags | O_NOATIME);
    if (!fd) fd = open_beneath(tree_fd(f), rel_path(scan_, f), flags);
    if (!fd) {
      warn_skip(shown(f), std::strerror(errno));
      n.usable = false;
      return fd;
    }
    if (!unchanged(fd.get(), n, check_ctime)) {
      warn_skip(shown(f), "changed during the run");
      n.usable = false;
      return UniqueFd();
    }
    return fd;
  }

  static bool unchanged(int fd, const Inode& n, bool check_ctime) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && unchanged(st, n, check_ctime);
  }

  static bool unchanged(const struct stat& st, const Inode& n, bool check_ctime) {
    return S_ISREG(st.st_mode) && st.st_dev == n.dev && st.st_ino == n.ino &&
           static_cast<uint64_t>(st.st_size) == n.size && ns(st.st_mtim) == n.mtime_ns &&
           (!check_ctime || ns(st.st_ctim) == n.ctime_ns);
  }

  // Every inode of a bucket that the index does not know is read once, on `--jobs`
  // threads (one bucket per task, largest first): its hash for the index and the grouping,
  // and a byte comparison with the bucket's first readable file (the Reference) on the
  // same read. Inodes found identical to it need no second read in the compare step.
  void hash_buckets(const std::vector<std::vector<size_t>>& buckets) {
    std::vector<std::vector<size_t>> todo(buckets.size());
    for (size_t b = 0; b < buckets.size(); ++b) {
      for (size_t i : buckets[b]) {
        Inode& n = inodes_[i];
        if (auto h = index_.lookup(n.dev, n.ino, n.size, n.ctime_ns, n.mtime_ns)) {
          n.hash = *h;
          live_.hits.fetch_add(1);
        } else {
          todo[b].push_back(i);
        }
      }
    }
    std::vector<size_t> order(buckets.size());
    for (size_t b = 0; b < order.size(); ++b) order[b] = b;
    auto bytes = [&](size_t b) { return todo[b].size() * (inodes_[buckets[b].front()].size + 4096); };
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bytes(a) > bytes(b); });
    parallel_for(order.size(), jobs_, [&](size_t k) { read_bucket(todo[order[k]]); }, tick());
    for (const auto& b : buckets)
      for (size_t i : b) {
        const Inode& n = inodes_[i];
        if (n.usable) index_.put({n.dev, n.ino, n.size, n.ctime_ns, n.mtime_ns, n.hash, 0});
      }
  }

  void read_bucket(const std::vector<size_t>& todo) {
    Reference ref;
    UniqueFd ref_fd;
    size_t ref_i = SIZE_MAX;
    for (size_t i : todo) {
      UniqueFd fd = open_unchanged(i, O_RDONLY, true);
      if (!fd) continue;
      Inode& n = inodes_[i];
      std::string what = shown(file(n.files.front()));
      bool first = ref_i == SIZE_MAX;
      bool equal = false;
      if (first) {
        if (!ref.load(fd.get(), n.size, what)) {
          warn_skip(what, "changed during the run");
          n.usable = false;
          continue;
        }
        n.hash = ref.hash();
      } else {
        equal = ref.hash_and_compare(fd.get(), n.hash, what);
      }
      live_.hashed.fetch_add(1);
      // Changed while it was read: its hash describes no version of it.
      struct stat st;
      if (::fstat(fd.get(), &st) != 0 || !unchanged(st, n, true)) {
        n.usable = false;
        continue;
      }
      n.meta = read_meta(fd.get(), st, what);  // the open fd spares another open
      if (first) {
        ref_i = i;
        ref_fd = std::move(fd);  // a large reference is read again from it
        n.same_as = i;
      } else if (equal) {
        n.same_as = ref_i;
      }
    }
    // The reference must still be what it was when the others were compared with it.
    struct stat st;
    if (ref_i != SIZE_MAX && (::fstat(ref_fd.get(), &st) != 0 || !unchanged(st, inodes_[ref_i], true))) {
      inodes_[ref_i].usable = false;
      for (size_t i : todo) inodes_[i].same_as = SIZE_MAX;
    }
  }

  // One hash group: split by metadata, then byte-compare each member with the class's
  // keeper (the inode with the most links, so existing links stay where they are).
  std::vector<Action> compare_group(const std::vector<size_t>& group) {
    std::vector<size_t> usable;
    for (size_t i : group) {
      if (!inodes_[i].usable) continue;
      if (!inodes_[i].meta) {  // hash from the index: metadata not read yet
        UniqueFd fd = open_unchanged(i, O_RDONLY, true);
        struct stat st;
        if (!fd || ::fstat(fd.get(), &st) != 0) continue;
        inodes_[i].meta = read_meta(fd.get(), st, shown(file(inodes_[i].files.front())));
      }
      usable.push_back(i);
    }
    std::vector<Action> out;
    auto same_meta = [&](size_t a, size_t b) { return *inodes_[a].meta == *inodes_[b].meta; };
    for (const auto& cls : split_by_equal(usable, same_meta)) {
      size_t keep = cls.front();
      for (size_t i : cls)
        if (inodes_[i].nlink > inodes_[keep].nlink) keep = i;
      UniqueFd kfd;
      bool opened = false;
      for (size_t i : cls) {
        if (i == keep) continue;
        size_t same = inodes_[i].same_as;
        if (same != SIZE_MAX && same == inodes_[keep].same_as) {  // compared when read
          out.push_back({keep, i});
          continue;
        }
        if (!opened) {
          kfd = open_unchanged(keep, O_RDONLY, true);
          opened = true;
        }
        if (!kfd) continue;
        UniqueFd vfd = open_unchanged(i, O_RDONLY, true);
        if (!vfd) continue;
        if (!same_bytes(kfd.get(), vfd.get(), inodes_[i].size, shown(file(inodes_[i].files.front()))))
          continue;  // a hash collision: never linked
        if (!unchanged(vfd.get(), inodes_[i], true) || !unchanged(kfd.get(), inodes_[keep], true)) continue;
        out.push_back({keep, i});
      }
    }
    return out;
  }

  // The links. Replacing a victim's last name frees its blocks, which on a file system
  // mounted with `discard` (or behind a slow journal) waits for the device: the time is
  // latency, not CPU, so victims with one name (nearly all) are linked on link_jobs()
  // threads, one directory per task (a directory is never worked on by two threads at
  // once: the temporary name is per directory), its fd opened once. Victims with several
  // names go after, one at a time: the ctime check on the first name must come before
  // the others are replaced.
  void apply() {
    std::vector<size_t> single, multi;  // indices into actions_
    for (size_t k = 0; k < actions_.size(); ++k)
      (inodes_[actions_[k].victim].files.size() == 1 ? single : multi).push_back(k);
    auto dir_of = [&](size_t k) { return file(inodes_[actions_[k].victim].files.front()).dir; };
    std::sort(single.begin(), single.end(), [&](size_t x, size_t y) {
      return dir_of(x) != dir_of(y) ? dir_of(x) < dir_of(y) : actions_[x].keep < actions_[y].keep;
    });
    std::vector<std::pair<size_t, size_t>> tasks;  // [begin, end) of one directory in `single`
    for (size_t k = 0; k < single.size(); ++k)
      if (k == 0 || dir_of(single[k]) != dir_of(single[k - 1])) tasks.push_back({k, k + 1});
      else tasks.back().second = k + 1;
    std::vector<uint8_t> done(actions_.size(), 0);
    parallel_for(tasks.size(), link_jobs(), [&](size_t t) {
      link_dir(std::span(single).subspan(tasks[t].first, tasks[t].second - tasks[t].first), done);
    }, tick());
    for (size_t k : single)
      if (done[k] && inodes_[actions_[k].victim].nlink == 1) saved(inodes_[actions_[k].victim]);

    std::sort(multi.begin(), multi.end(), [&](size_t x, size_t y) { return actions_[x].keep < actions_[y].keep; });
    UniqueFd keep_fd;
    size_t keep = SIZE_MAX;
    for (size_t k : multi) {
      const Action& a = actions_[k];
      if (a.keep != keep) {
        keep = a.keep;
        keep_fd = opts_.dry_run ? UniqueFd() : open_unchanged(keep, O_PATH, false);
      }
      if (!opts_.dry_run && !keep_fd) continue;
      link_victim(a, keep_fd.get());
    }
    if (opts_.dry_run) return;
    // The keepers' ctimes moved with every link made to them; their contents did not.
    std::vector<size_t> keepers;
    for (const Action& a : actions_) keepers.push_back(a.keep);
    std::sort(keepers.begin(), keepers.end());
    keepers.erase(std::unique(keepers.begin(), keepers.end()), keepers.end());
    for (size_t k : keepers)
      if (UniqueFd fd = open_unchanged(k, O_PATH, false)) refresh_index(k, fd.get());
  }

  unsigned link_jobs() const { return std::min(64u, std::max(8u, 8 * jobs_)); }

  // Links every victim in `ops`, all in one directory; marks each one done. Runs on a
  // worker: no shared state is written but `done` (its own slots) and atomic counters.
  void link_dir(std::span<const size_t> ops, std::vector<uint8_t>& done) {
    const FileEntry& first = file(inodes_[actions_[ops.front()].victim].files.front());
    if (opts_.dry_run) {
      for (size_t k : ops) done[k] = 1;
      live_.links.fetch_add(ops.size());
      return;
    }
    const auto& dir = scan_.dirs[first.dir];
    UniqueFd dfd = open_beneath(trees_[dir.tree].fd.get(), dir.rel, O_PATH | O_DIRECTORY);
    if (!dfd) {
      warn_skip(shown(first), std::strerror(errno));
      return;
    }
    // Keepers mostly sit together (the same directory of the first tree): its fd is kept.
    uint32_t kdir = UINT32_MAX;
    UniqueFd kdir_fd;
    for (size_t k : ops) {
      const Action& a = actions_[k];
      const Inode& keeper = inodes_[a.keep];
      const FileEntry& kf = file(keeper.files.front());
      if (kf.dir != kdir) {
        kdir = kf.dir;
        const auto& d = scan_.dirs[kdir];
        kdir_fd = open_beneath(trees_[d.tree].fd.get(), d.rel, O_PATH | O_DIRECTORY);
      }
      UniqueFd kfd;
      if (kdir_fd) kfd.reset(::openat(kdir_fd.get(), kf.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!kfd || !unchanged(kfd.get(), keeper, false)) {
        warn_skip(shown(kf), kfd ? "changed during the run" : std::strerror(errno));
        continue;
      }
      const Inode& v = inodes_[a.victim];
      if (!link_one(file(v.files.front()), v, kfd.get(), dfd.get(), true)) continue;
      done[k] = 1;
      live_.links.fetch_add(1);
    }
  }

  // A victim that lost all its names: its inode and blocks are freed.
  void saved(const Inode& v) {
    ++report_.inodes_saved;
    report_.bytes_saved += v.blocks * 512;
    if (!opts_.dry_run) index_.erase(v.dev, v.ino);
  }

  void link_victim(const Action& a, int keep_fd) {
    const Inode& v = inodes_[a.victim];
    uint64_t replaced = 0;
    for (size_t p = 0; p < v.files.size(); ++p) {
      const FileEntry& f = file(v.files[p]);
      if (!opts_.dry_run) {
        const auto& dir = scan_.dirs[f.dir];
        UniqueFd dfd = open_beneath(trees_[dir.tree].fd.get(), dir.rel, O_PATH | O_DIRECTORY);
        if (!dfd) {
          warn_skip(shown(f), std::strerror(errno));
          continue;
        }
        if (!link_one(f, v, keep_fd, dfd.get(), p == 0)) continue;
      }
      ++replaced;
      live_.links.fetch_add(1);
      if (opts_.progress && live_.links.load() % 4096 == 0) opts_.progress(snapshot());
    }
    if (replaced == v.nlink) saved(v);
  }

  // Replaces one path of `v` by a link to the keeper; false (with a warning) when the
  // path no longer names `v` as scanned or the file system refuses.
  // `dfd` is f's directory.
  bool link_one(const FileEntry& f, const Inode& v, int keep_fd, int dfd, bool first) {
    struct stat st;
    // The victim's ctime moves with each of its names replaced: checked on the first only.
    if (::fstatat(dfd, f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        st.st_dev != v.dev || st.st_ino != v.ino || static_cast<uint64_t>(st.st_size) != v.size ||
        ns(st.st_mtim) != v.mtime_ns || (first && ns(st.st_ctim) != v.ctime_ns)) {
      warn_skip(shown(f), "changed during the run");
      return false;
    }
    try {
      replace_with_link(keep_fd, dfd, f.name, shown(f));
    } catch (const Error& e) {
      if (e.code() != EPERM && e.code() != EACCES && e.code() != EMLINK) throw;
      warn_skip(shown(f), e.what());
      return false;
    }
    return true;
  }

  // The keeper's ctime moved with every link made to it; its content did not.
  void refresh_index(size_t keep, int keep_fd) {
    const Inode& n = inodes_[keep];
    struct stat st;
    if (::fstat(keep_fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != n.size ||
        ns(st.st_mtim) != n.mtime_ns)
      return;
    index_.put({n.dev, n.ino, n.size, ns(st.st_ctim), n.mtime_ns, n.hash, 0});
  }
};

}  // namespace

UnifyReport unify_trees(const UnifyOptions& opts) { return Run(opts).go(); }

}  // namespace vcrun
