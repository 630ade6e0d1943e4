#pragma once
// Model specs of SPEC §1: `xception:FILE.safetensors`, `xception-mini:FILE.safetensors`,
// `torchscript:FILE.pt`, or a bare `.safetensors` written by entcam (its metadata names the
// architecture).
#include <memory>
#include <string>

#include "models/classifier.h"
#include "models/xception.h"

namespace entcam {

std::unique_ptr<Classifier> load_classifier(const std::string& spec);

// Wraps an Xception module (eval mode) as a Classifier.
std::unique_ptr<Classifier> xception_classifier(Xception model, std::string description);

// Reads an Xception (standard or mini) from safetensors; `arch` is "xception",
// "xception-mini" or "" (take it from the file's metadata).
Xception load_xception(const std::string& path, const std::string& arch);

}  // namespace entcam
