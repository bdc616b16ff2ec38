// The presentations of `vcrun stats`: a table for people, or a JSON array.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vcrun/stats.hpp"

namespace vcrun::cli {

// `--format table|json`; anything else is a SpecError naming --format.
std::string format_stats(const std::vector<ContainerStats>& stats, const std::string& format);

// The table: one line per container, then one per HTB class when any container has one.
std::string stats_table(const std::vector<ContainerStats>& stats);
// The JSON array, one object per container ("network" only with an HTB class).
nlohmann::json stats_json(const std::vector<ContainerStats>& stats);
// "12.3MiB"
std::string human_bytes(uint64_t b);

}  // namespace vcrun::cli
