// `vcrun unify [--dry-run] [--jobs N] [--min-size B] [--format json] DIR...`.
#include <unistd.h>

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
  cmd->add_option("-j,--jobs", opts->jobs, "threads reading and comparing (default: one per CPU); links run on 8 x N threads (8 to 64)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--min-size", opts->min_size, "leave files smaller than B bytes (default 1; 0 includes empty files)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
            return digits ? "" : "must be a number of bytes, not \"" + v + "\"";
          },
          "BYTES"));
  cmd->add_option("--index", opts->index_path,
                  std::string("the incremental index file (default ") + kDefaultUnifyIndex + ")");
  cmd->add_option("-f,--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts, format] {
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
