// `vcrun unify [--dry-run] [--jobs N] [--min-size B] [--index FILE] [--format json] DIR...`.
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "vcrun/error.hpp"
#include "vcrun/unify.hpp"

namespace vcrun::cli {

namespace {

constexpr const char* kHelp =
    "link identical files across and within root filesystem trees to one inode.\n"
    "Files are linked only when their content (size buckets, an XXH3 hash, then a byte\n"
    "comparison) and everything a container observes are equal: mode, owner, group,\n"
    "inode flags and all xattrs (security.capability, ACLs, ...). Modification times are\n"
    "NOT compared: linked files share the keeper's mtime. Only regular files; never across\n"
    "file systems; existing links are kept. Each DIR is marked unified, and vcrun then runs\n"
    "containers on it only under a copy-on-write overlay. Do not write to the trees while\n"
    "it runs.";

// A decimal count in [lo, hi], parsed here rather than by CLI11, whose conversion let an
// out-of-range number through (--min-size 99999999999999999999999 ran).
uint64_t parse_count(const std::string& flag, const std::string& text, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  auto [at, ec] = std::from_chars(text.data(), end, v);
  if (!digits || (ec != std::errc() && ec != std::errc::result_out_of_range) || at != end)
    throw Error(flag + ": \"" + text + "\" is not a decimal number", EINVAL);
  if (ec == std::errc::result_out_of_range || v < lo || v > hi)
    throw Error(flag + ": " + text + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")",
                ERANGE);
  return v;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

std::string text_report(const UnifyReport& r) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", r.seconds);
  std::string verb = r.dry_run ? "would link " : "linked ";
  return std::string(r.dry_run ? "dry run: " : "") + "scanned " + std::to_string(r.files_scanned) +
         " files, hashed " + std::to_string(r.files_hashed) + " (" + std::to_string(r.index_hits) +
         " from the index), " + verb + std::to_string(r.links_made) + " paths, " +
         (r.dry_run ? "would save " : "saved ") + std::to_string(r.inodes_saved) + " inodes and " +
         mib(r.bytes_saved) + (r.dry_run ? ", would remove " : ", removed ") + std::to_string(r.temporaries_removed) +
         " leftover temporaries, " + secs + " s\n";
}

std::string json_report(const UnifyReport& r) {
  nlohmann::json j{{"files_scanned", r.files_scanned}, {"files_hashed", r.files_hashed},
                   {"index_hits", r.index_hits},       {"links_made", r.links_made},
                   {"inodes_saved", r.inodes_saved},   {"bytes_saved", r.bytes_saved},
                   {"temporaries_removed", r.temporaries_removed},
                   {"seconds", r.seconds},             {"dry_run", r.dry_run}};
  return j.dump() + "\n";
}

Registrar unify_verb(95, "unify", [](CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("unify", kHelp);
  auto opts = std::make_shared<UnifyOptions>();
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("dir", opts->dirs, "root filesystem trees")->required();
  cmd->add_flag("--dry-run", opts->dry_run, "report what would be linked, change nothing");
  auto jobs = std::make_shared<std::string>();
  auto min_size = std::make_shared<std::string>();
  auto* jobs_opt = cmd->add_option("-j,--jobs", *jobs, "threads reading and comparing (default: one per CPU); links run on 8 x N threads (8 to 64)")
      ->type_name("N");
  auto* min_size_opt = cmd->add_option("--min-size", *min_size, "leave files smaller than B bytes (default 1; 0 includes empty files)")
      ->type_name("BYTES");
  auto* index = cmd->add_option("--index", opts->index_path,
                  std::string("the incremental index file, in an existing directory (default $VCRUN_UNIFY_INDEX, else ") +
                      kDefaultUnifyIndex + "); the list of unified trees is kept beside it");
  cmd->add_option("-f,--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts, format, jobs, min_size, jobs_opt, min_size_opt, index] {
    if (jobs_opt->count() > 0) opts->jobs = static_cast<unsigned>(parse_count("--jobs", *jobs, 1, 1024));
    if (min_size_opt->count() > 0) opts->min_size = parse_count("--min-size", *min_size, 0, UINT64_MAX);
    if (index->count() == 0) opts->index_path = unify_index_path();
    if (opts->index_path.empty()) throw Error("--index: must name a file", EINVAL);
    bool shown = false;
    if (::isatty(STDERR_FILENO)) {
      opts->progress = [&shown](const UnifyReport& r) {
        if (r.seconds < 1.0) return;
        std::fprintf(stderr, "\r\033[K%s: %llu files, %llu hashed, %llu links", r.phase.c_str(),
                     static_cast<unsigned long long>(r.files_scanned),
                     static_cast<unsigned long long>(r.files_hashed),
                     static_cast<unsigned long long>(r.links_made));
        shown = true;
      };
    }
    UnifyReport r = unify_trees(*opts);
    if (shown) std::fprintf(stderr, "\r\033[K");
    std::cout << (*format == "json" ? json_report(r) : text_report(r));
  });
});

}  // namespace

}  // namespace vcrun::cli
