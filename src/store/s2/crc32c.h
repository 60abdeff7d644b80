// CRC-32C (Castagnoli), the checksum of the Snappy/S2 framing format, and
// the framing's "masked" form of it.
#ifndef NATSCPP_STORE_S2_CRC32C_H_
#define NATSCPP_STORE_S2_CRC32C_H_

#include <cstdint>
#include <span>

namespace natscpp::store::s2 {

// Extends crc (0 for a fresh sum) over data. Uses the SSE4.2 crc32
// instruction when the CPU has it, a slice-by-8 table otherwise.
uint32_t Crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

// The portable table-driven path, exposed so tests can compare both paths.
uint32_t Crc32cPortable(std::span<const uint8_t> data, uint32_t crc = 0);

// Framed chunks store the CRC rotated and offset so that a CRC computed over
// data that itself contains CRCs does not degenerate (framing_format.txt §3).
inline uint32_t MaskedCrc32c(std::span<const uint8_t> data) {
  const uint32_t c = Crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

}  // namespace natscpp::store::s2

#endif  // NATSCPP_STORE_S2_CRC32C_H_
