// The JSON of what a container holds of the network (its teardown record's entries).
#include "net/state/records.hpp"

#include <nlohmann/json.hpp>

namespace vcrun::net {

void to_json(nlohmann::json& j, const BridgeAttachment& a) {
  j = {{"leases", a.leases}, {"bridge", a.bridge}, {"subnet", a.subnet},
       {"ip", a.ip},         {"veth", a.veth},     {"published", a.published}};
}

void from_json(const nlohmann::json& j, BridgeAttachment& a) {
  a.leases = j.at("leases").get<std::string>();
  a.bridge = j.at("bridge").get<std::string>();
  a.subnet = j.at("subnet").get<std::string>();
  a.ip = j.at("ip").get<std::string>();
  a.veth = j.at("veth").get<std::string>();
  a.published = j.value("published", false);  // written before published ports existed
}

void to_json(nlohmann::json& j, const ShapeAttachment& a) {
  j = {{"root", a.root}, {"device", a.device}, {"minor", a.minor}};
}

void from_json(const nlohmann::json& j, ShapeAttachment& a) {
  a.root = j.at("root").get<std::string>();
  a.device = j.at("device").get<std::string>();
  a.minor = j.at("minor").get<uint32_t>();
}

}  // namespace vcrun::net
