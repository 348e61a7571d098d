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

namespace hivemind::model {

split::Problem problem_from_measured(const std::vector<MeasuredProfile>& per_node,
                                     const std::vector<std::string>& node_names,
                                     const std::vector<split::Link>& links, bool use_cut_bytes,
                                     split::Deliver deliver) {
  if (per_node.size() < 2) throw InputError("route: need at least 2 nodes");
  if (node_names.size() != per_node.size() || links.size() + 1 != per_node.size())
    throw InputError("route: " + std::to_string(per_node.size()) + " nodes need " +
                     std::to_string(per_node.size() - 1) + " links and as many names");
  const MeasuredProfile& ref = per_node.front();
  split::Problem problem;
  problem.layers = static_cast<int>(ref.layers.size());
  problem.input_bytes = ref.input_bytes;
  for (const auto& l : ref.layers) problem.output_bytes.push_back(use_cut_bytes ? l.cut_bytes : l.out_bytes);
  for (std::size_t p = 0; p < per_node.size(); ++p) {
    const MeasuredProfile& prof = per_node[p];
    if (prof.layers.size() != ref.layers.size())
      throw InputError("profile " + prof.model + "." + prof.run + ": " +
                       std::to_string(prof.layers.size()) + " layers, expected " +
                       std::to_string(ref.layers.size()));
    double sum_us = 0.0;
    for (const auto& l : prof.layers) sum_us += l.median_us;
    const double scale = sum_us > 0 ? prof.whole_model_us / sum_us : 1.0;
    split::Node node;
    node.name = node_names[p];
    for (std::size_t l = 0; l < prof.layers.size(); ++l) {
      if (prof.layers[l].name != ref.layers[l].name)
        throw InputError("profile " + prof.model + "." + prof.run + ": layers[" +
                         std::to_string(l) + "] is \"" + prof.layers[l].name + "\", expected \"" +
                         ref.layers[l].name + "\"");
      node.compute_s.push_back(prof.layers[l].median_us * scale * 1e-6);
    }
    problem.nodes.push_back(std::move(node));
  }
  problem.links = links;
  problem.deliver = deliver;
  split::validate(problem);
  return problem;
}

}  // namespace hivemind::model
