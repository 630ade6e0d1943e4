#pragma once
// Text checks for names and values that end up in JSON (which must be valid UTF-8) and in
// error messages (which must stay one readable line).
#include <string>
#include <string_view>

namespace entcam {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with bytes that are not printable ASCII or valid UTF-8 written as \xNN, for messages.
std::string printable(std::string_view s);

// `s` without leading and trailing ASCII whitespace.
std::string trim(std::string_view s);

}  // namespace entcam
