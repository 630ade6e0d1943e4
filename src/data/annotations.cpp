#include "data/annotations.h"

#include <cmath>
#include <set>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"

namespace entcam {
namespace {

// A deliberately small XML reader: elements, text, attributes skipped, comments,
// processing instructions, CDATA and the five predefined entities. Enough for VOC files,
// which are machine-written; anything it does not understand is reported, not guessed.
struct XmlNode {
  std::string tag, text;
  std::vector<XmlNode> children;
  const XmlNode* child(const std::string& t) const {
    for (const auto& c : children)
      if (c.tag == t) return &c;
    return nullptr;
  }
};

class XmlReader {
 public:
  XmlReader(const std::string& s, const std::string& origin) : s_(s), origin_(origin) {}

  XmlNode parse_document() {
    skip_misc();
    if (!at("<")) fail("expected a root element");
    XmlNode root = parse_element();
    skip_misc();
    if (i_ != s_.size()) fail("unexpected content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    // line number of the error position, for a person to find it
    const size_t line = 1 + size_t(std::count(s_.begin(), s_.begin() + std::min(i_, s_.size()), '\n'));
    throw file_error(origin_, "malformed XML at line " + std::to_string(line) + ": " + what);
  }
  bool at(const char* p) const { return s_.compare(i_, std::strlen(p), p) == 0; }
  void skip_until(const char* end) {
    const size_t j = s_.find(end, i_);
    if (j == std::string::npos) fail(std::string("unterminated construct, expected '") + end + "'");
    i_ = j + std::strlen(end);
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_misc() {
    for (;;) {
      skip_ws();
      if (at("\xEF\xBB\xBF")) i_ += 3;  // UTF-8 byte order mark
      else if (at("<?")) skip_until("?>");
      else if (at("<!--")) skip_until("-->");
      else if (at("<!DOCTYPE")) skip_until(">");
      else return;
    }
  }
  std::string name() {
    const size_t b = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '>' && s_[i_] != '/')
      ++i_;
    if (b == i_) fail("expected a tag name");
    return s_.substr(b, i_ - b);
  }
  void decode_into(std::string& out, size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      if (s_[k] != '&') {
        out += s_[k];
        continue;
      }
      const size_t semi = s_.find(';', k);
      if (semi == std::string::npos || semi > e) fail("unterminated entity");
      const std::string ent = s_.substr(k + 1, semi - k - 1);
      if (ent == "amp") out += '&';
      else if (ent == "lt") out += '<';
      else if (ent == "gt") out += '>';
      else if (ent == "quot") out += '"';
      else if (ent == "apos") out += '\'';
      else if (!ent.empty() && ent[0] == '#') {
        const long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X') ? std::strtol(ent.c_str() + 2, nullptr, 16)
                                                                           : std::strtol(ent.c_str() + 1, nullptr, 10);
        if (cp > 0 && cp < 128) out += char(cp);
        else out += '?';  // non-ASCII character references do not occur in numbers or class names we use
      } else fail("unknown entity &" + ent + ";");
      k = semi;
    }
  }
  XmlNode parse_element() {
    // Elements nest by recursion: a file nested deeper than any annotation needs would
    // otherwise overflow the stack.
    if (++depth_ > kMaxDepth) fail("elements nested more than " + std::to_string(kMaxDepth) + " levels deep");
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{depth_};
    ++i_;  // '<'
    XmlNode node;
    node.tag = name();
    // attributes: skipped, quoted values may contain '>'
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated tag <" + node.tag + ">");
      const char c = s_[i_];
      if (c == '"' || c == '\'') {
        const size_t j = s_.find(c, i_ + 1);
        if (j == std::string::npos) fail("unterminated attribute value in <" + node.tag + ">");
        i_ = j + 1;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '>') {
        i_ += 2;
        return node;
      } else if (c == '>') {
        ++i_;
        break;
      } else {
        ++i_;
      }
    }
    for (;;) {
      if (i_ >= s_.size()) fail("missing </" + node.tag + ">");
      if (at("</")) {
        i_ += 2;
        const std::string closing = name();
        skip_ws();
        if (closing != node.tag) fail("</" + closing + "> closes <" + node.tag + ">");
        if (!at(">")) fail("expected '>' after </" + closing);
        ++i_;
        return node;
      }
      if (at("<!--")) skip_until("-->");
      else if (at("<![CDATA[")) {
        const size_t b = i_ + 9, e = s_.find("]]>", b);
        if (e == std::string::npos) fail("unterminated CDATA");
        node.text.append(s_, b, e - b);
        i_ = e + 3;
      } else if (at("<?")) skip_until("?>");
      else if (at("<")) node.children.push_back(parse_element());
      else {
        const size_t b = i_, e = std::min(s_.find('<', i_), s_.size());
        decode_into(node.text, b, e);
        i_ = e;
      }
    }
  }

  static constexpr int kMaxDepth = 256;
  const std::string& s_;
  std::string origin_;
  size_t i_ = 0;
  int depth_ = 0;
};

// VOC coordinates are integers in practice, but some tools write "12.0": round those.
int number(const XmlNode* n, const std::string& what, const std::string& origin) {
  if (!n) throw file_error(origin, "missing <" + what + "> (expected a number)");
  const std::string t = trim(n->text);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || !std::isfinite(v) || std::fabs(v) > 1e9)
    throw file_error(origin, "<" + what + "> is '" + t + "' (expected a number)");
  return int(std::lround(v));
}

}  // namespace

VocAnnotation parse_voc(const std::string& xml, const std::string& origin) {
  const XmlNode root = XmlReader(xml, origin).parse_document();
  if (root.tag != "annotation") throw file_error(origin, "root element is <" + root.tag + "> (expected <annotation>)");
  VocAnnotation a;
  if (const XmlNode* f = root.child("filename")) a.filename = trim(f->text);
  if (const XmlNode* size = root.child("size")) {
    a.width = number(size->child("width"), "size/width", origin);
    a.height = number(size->child("height"), "size/height", origin);
  }
  for (const XmlNode& obj : root.children) {
    if (obj.tag != "object") continue;
    VocObject o;
    if (const XmlNode* n = obj.child("name")) o.name = trim(n->text);
    const XmlNode* bb = obj.child("bndbox");
    if (!bb) throw file_error(origin, "<object> without <bndbox>");
    o.box.xmin = number(bb->child("xmin"), "bndbox/xmin", origin);
    o.box.ymin = number(bb->child("ymin"), "bndbox/ymin", origin);
    o.box.xmax = number(bb->child("xmax"), "bndbox/xmax", origin);
    o.box.ymax = number(bb->child("ymax"), "bndbox/ymax", origin);
    if (const XmlNode* d = obj.child("difficult")) o.box.difficult = trim(d->text) == "1";
    if (o.box.xmax < o.box.xmin || o.box.ymax < o.box.ymin)
      throw file_error(origin, "<bndbox> has xmax < xmin or ymax < ymin");
    a.objects.push_back(o);
  }
  return a;
}

VocAnnotation read_voc(const std::filesystem::path& path) { return parse_voc(read_file(path), path.string()); }

namespace {

// An integer JSON value (an integral float such as 12.0 is accepted too).
bool as_int(const nlohmann::json& v, long long& out) {
  if (v.is_number_integer()) {
    out = v.get<long long>();
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      out = static_cast<long long>(d);
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<BoxesImage> parse_boxes_json(const std::string& text, const std::string& name) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw file_error(name, "not valid JSON (at byte " + std::to_string(e.byte) + "); expected BOXES.json");
  } catch (const json::exception&) {  // out_of_range: a number beyond double
    throw file_error(name, "not valid JSON (a number out of range); expected BOXES.json");
  }
  if (!doc.is_object() || !doc.contains("images") || !doc["images"].is_array())
    throw file_error(name, "expected an object with an \"images\" array");
  const json& arr = doc["images"];
  std::vector<BoxesImage> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& im = arr[i];
    const std::string where = "images[" + std::to_string(i) + "]";
    if (!im.is_object()) throw file_error(name, where + ": expected an object");
    BoxesImage b;
    if (!im.contains("id") || !im["id"].is_string() || im["id"].get<std::string>().empty())
      throw file_error(name, where + ".id: expected a non-empty string");
    b.id = im["id"].get<std::string>();
    if (!seen.insert(b.id).second) throw file_error(name, where + ".id: \"" + b.id + "\" appears twice");
    long long w = 0, h = 0;
    if (!im.contains("width") || !as_int(im["width"], w) || w <= 0 || w > 1000000)
      throw file_error(name, where + ".width: expected a positive integer");
    if (!im.contains("height") || !as_int(im["height"], h) || h <= 0 || h > 1000000)
      throw file_error(name, where + ".height: expected a positive integer");
    b.width = int(w);
    b.height = int(h);
    if (!im.contains("boxes") || !im["boxes"].is_array())
      throw file_error(name, where + ".boxes: expected an array of [xmin, ymin, xmax, ymax]");
    const json& boxes = im["boxes"];
    for (size_t k = 0; k < boxes.size(); ++k) {
      const std::string bwhere = where + ".boxes[" + std::to_string(k) + "]";
      const json& bx = boxes[k];
      long long c[4];
      if (!bx.is_array() || bx.size() != 4 || !as_int(bx[0], c[0]) || !as_int(bx[1], c[1]) || !as_int(bx[2], c[2]) ||
          !as_int(bx[3], c[3]))
        throw file_error(name, bwhere + ": expected [xmin, ymin, xmax, ymax] of 4 integers (0-based, inclusive)");
      if (c[0] < 0 || c[1] < 0 || c[0] > c[2] || c[1] > c[3] || c[2] > 10000000 || c[3] > 10000000)
        throw file_error(name, bwhere + ": expected 0 <= xmin <= xmax and 0 <= ymin <= ymax");
      if (c[0] >= w || c[1] >= h)
        throw file_error(name, bwhere + ": box starts outside the " + std::to_string(w) + "x" + std::to_string(h) +
                                   " image");
      b.boxes.push_back({int(c[0]), int(c[1]), int(c[2]), int(c[3])});
    }
    if (im.contains("class") && !im["class"].is_null()) {
      long long cls = 0;
      if (!as_int(im["class"], cls) || cls < 0 || cls > 100000000)
        throw file_error(name, where + ".class: expected a non-negative integer");
      b.cls = int(cls);
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<BoxesImage> read_boxes_json(const std::filesystem::path& path) {
  return parse_boxes_json(read_file(path), path.string());
}

void write_boxes_json(const Dataset& ds, const std::vector<size_t>& indices, const std::filesystem::path& path) {
  nlohmann::json images = nlohmann::json::array();
  const auto add = [&](const Sample& s) {
    nlohmann::json boxes = nlohmann::json::array();
    for (const Box& b : s.boxes) boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax});
    images.push_back({{"id", s.id}, {"width", s.width}, {"height", s.height}, {"boxes", boxes}, {"class", s.label}});
  };
  if (indices.empty())
    for (const Sample& s : ds.samples) add(s);
  for (size_t i : indices) add(ds.samples.at(i));
  write_file_atomic(path, nlohmann::json{{"images", images}}.dump() + "\n");
}

}  // namespace entcam
