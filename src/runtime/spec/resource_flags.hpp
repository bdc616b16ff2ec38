// The parsers behind ResourceFlags (vcrun/quick.hpp): sizes and fractions, errors naming the field.
#pragma once

#include <cstdint>
#include <string>

#include "vcrun/quick.hpp"

namespace vcrun {

// "512M", "1G", "1.5g", "4096", "64k", "max"/"-1" (= -1): bytes. Binary units (K = 1024).
int64_t parse_size(const std::string& field, const std::string& text);
// A finite decimal number within [lo, hi].
double parse_fraction(const std::string& field, const std::string& text, double lo, double hi);
// A tc-style rate ("10mbit") in bits per second; SpecError naming `field` otherwise.
uint64_t parse_rate_flag(const std::string& field, const std::string& text);

}  // namespace vcrun
