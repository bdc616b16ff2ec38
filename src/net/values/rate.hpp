// Link rates as text, the way tc(8) writes them ("10mbit", "1.5gbit", "500kbps"): parsing
// and printing. Pure: no kernel object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vcrun::net {

// Bits per second from `text`: a decimal number and a unit, case-insensitive: bit, kbit,
// mbit, gbit, tbit (powers of 1000), kibit, mibit, gibit, tibit (powers of 1024), and the
// same with bps for bytes per second (bps, kbps, mbps, ..., kibps, ...). A number without
// a unit, an unknown unit, zero and values past 2^64 bits/s are refused: nullopt, with the
// reason in `why`.
std::optional<uint64_t> parse_rate(const std::string& text, std::string* why = nullptr);

// "100mbit", "1500kbit", "12345bit": the shortest exact decimal-unit form of `bits`.
std::string rate_text(uint64_t bits_per_second);

}  // namespace vcrun::net
