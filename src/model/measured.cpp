#include "hivemind/model/measured.hpp"

#include <nlohmann/json.hpp>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

namespace jf = json_field;

MeasuredProfile load_measured_profile(const std::string& path) {
  return with_source(path, [&] {
    const nlohmann::json doc = parse_json(read_text_file(path), path);
    jf::object(doc, "(top level)");
    MeasuredProfile p;
    p.model = jf::string(jf::require(doc, "model", "model"), "model");
    p.run = jf::string(jf::require(doc, "run", "run"), "run");
    p.input_bytes = jf::number(jf::require(doc, "input_bytes", "input_bytes"), "input_bytes");
    p.param_bytes = jf::number(jf::require(doc, "param_bytes", "param_bytes"), "param_bytes");
    p.whole_model_us =
        jf::number(jf::require(doc, "whole_model_us", "whole_model_us"), "whole_model_us");
    const auto& layers = jf::array(jf::require(doc, "layers", "layers"), "layers");
    if (layers.empty()) throw InputError("layers: empty");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string at = "layers[" + std::to_string(i) + "]";
      const auto& l = jf::object(layers[i], at);
      MeasuredLayer m;
      m.name = jf::string(jf::require(l, "name", at + ".name"), at + ".name");
      m.kind = jf::string(jf::require(l, "kind", at + ".kind"), at + ".kind");
      m.median_us = jf::number(jf::require(l, "median_us", at + ".median_us"), at + ".median_us");
      if (auto it = l.find("bwd_us"); it != l.end() && !it->is_null())
        m.bwd_us = jf::number(*it, at + ".bwd_us");
      m.out_bytes = jf::number(jf::require(l, "out_bytes", at + ".out_bytes"), at + ".out_bytes");
      m.cut_bytes = jf::number(jf::require(l, "cut_bytes", at + ".cut_bytes"), at + ".cut_bytes");
      p.layers.push_back(std::move(m));
    }
    return p;
  });
}

}  // namespace hivemind::model
