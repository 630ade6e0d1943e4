#pragma once
// The keys an experiment file may hold, their types and ranges. Validation errors name
// file:line:column, the key and the expected form.
#include <string>
#include <vector>

#include "runner/config.h"

namespace entcam {

enum class ValueKind { kString, kInt, kFloat, kBool, kChoice, kStringOrList, kIntOrString, kMap, kList, kFreeMap };

struct SchemaRule {
  std::string path;  // dotted; list items as "[]", e.g. "datasets[].name"
  ValueKind kind;
  double min = 0, max = 0;             // kInt / kFloat (inclusive) when min < max
  std::vector<std::string> choices;    // kChoice, and allowed words for kStringOrList / kIntOrString
  std::string help;                    // shown in errors and `--dry-run`
};

const std::vector<SchemaRule>& experiment_schema();

// Throws InputError "<file:line:col>: <key>: expected ..., got ...".
void validate_config(const Config& config);

// A config key path with list indices ("datasets.0.name") as a schema pattern ("datasets[].name").
std::string schema_pattern(const std::string& key_path);
const SchemaRule* find_rule(const std::string& pattern);

}  // namespace entcam
