// Hex and base64 encodings (base64 via OpenSSL's EVP_EncodeBlock/DecodeBlock), and HTML escaping.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dr {

std::string HexEncode(std::string_view bytes);
// Returns nullopt for odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Accepts surrounding whitespace; returns nullopt for anything that is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

// Little-endian fixed-width integers, for the on-disk formats of docs/format.md.
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);
uint32_t GetU32(const char* p);
uint64_t GetU64(const char* p);

std::string_view TrimWhitespace(std::string_view s);

// "1.5 GiB", "312 KiB", "17 B".
std::string HumanBytes(uint64_t bytes);

// "&lt;" for "<" and so on: text safe in an HTML element or a quoted attribute.
std::string HtmlEscape(std::string_view text);

}  // namespace dr
