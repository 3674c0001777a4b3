#include "coordinator/dns.h"

#include <ldns/ldns.h>

#include <memory>
#include <regex>

#include "base/fs.h"

namespace dr::coordinator {
namespace {

struct ResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Resolver = std::unique_ptr<ldns_resolver, ResolverFree>;
using Packet = std::unique_ptr<ldns_pkt, PktFree>;

std::string Fqdn(const std::string& name) { return name.empty() || name.back() == '.' ? name : name + "."; }

Result<Resolver> NewResolver(const Endpoint& server, double timeout_seconds) {
  Resolver r(ldns_resolver_new());
  ldns_rdf* addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, server.host.c_str());
  if (addr == nullptr) addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, server.host.c_str());
  if (addr == nullptr) return ConfigError("DNS server '" + server.host + "' is not an IP address");
  ldns_resolver_push_nameserver(r.get(), addr);
  ldns_rdf_deep_free(addr);
  ldns_resolver_set_port(r.get(), static_cast<uint16_t>(server.port));
  timeval tv{static_cast<time_t>(timeout_seconds), static_cast<suseconds_t>((timeout_seconds - static_cast<long>(timeout_seconds)) * 1e6)};
  ldns_resolver_set_timeout(r.get(), tv);
  ldns_resolver_set_retry(r.get(), 1);
  ldns_resolver_set_recursive(r.get(), false);
  return r;
}

std::string RcodeName(ldns_pkt_rcode rcode) {
  char* s = ldns_pkt_rcode2str(rcode);
  std::string out = s ? s : std::to_string(static_cast<int>(rcode));
  free(s);
  return out;
}

ldns_rr* ARecord(const std::string& name, ldns_rr_class cls, uint32_t ttl, const std::string& address) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_dname_new_frm_str(Fqdn(name).c_str()));
  ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
  ldns_rr_set_class(rr, cls);
  ldns_rr_set_ttl(rr, ttl);
  if (!address.empty()) ldns_rr_push_rdf(rr, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, address.c_str()));
  return rr;
}

}  // namespace

Result<Endpoint> ParseEndpoint(const std::string& text, int default_port) {
  Endpoint e{text, default_port};
  if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    e.host = text.substr(0, colon);
    try {
      e.port = std::stoi(text.substr(colon + 1));
    } catch (...) {
      return ConfigError("'" + text + "' is not host:port");
    }
  }
  if (e.host.empty() || e.port <= 0 || e.port > 65535) return ConfigError("'" + text + "' is not host:port");
  return e;
}

Result<TsigKey> LoadTsigKey(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    // An unreadable file is a permission problem (exit 3), not a configuration error.
    Code code = text.status().code() == Code::kPermissionDenied ? Code::kPermissionDenied : Code::kConfig;
    return Status(code, "unable to read the TSIG key file: " + text.status().message());
  }
  static const std::regex kKey(R"re(key\s+"?([^"\s{]+)"?\s*\{[^}]*algorithm\s+"?([A-Za-z0-9-]+)"?\s*;[^}]*secret\s+"([^"]+)")re");
  std::smatch m;
  if (!std::regex_search(*text, m, kKey)) {
    return ConfigError("TSIG key file " + path + ": expected key \"name\" { algorithm ...; secret \"...\"; };");
  }
  return TsigKey{m[1].str(), m[2].str(), m[3].str()};
}

Result<std::vector<std::string>> ResolveA(const Endpoint& server, const std::string& name, double timeout_seconds) {
  DR_ASSIGN_OR_RETURN(Resolver r, NewResolver(server, timeout_seconds));
  ldns_rdf* qname = ldns_dname_new_frm_str(Fqdn(name).c_str());
  if (qname == nullptr) return InvalidArgument("'" + name + "' is not a DNS name");
  Packet answer(ldns_resolver_query(r.get(), qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0));
  ldns_rdf_deep_free(qname);
  if (!answer) return Unavailable("DNS server " + server.ToString() + " did not answer for " + name);
  if (ldns_pkt_get_rcode(answer.get()) != LDNS_RCODE_NOERROR) {
    return NotFound("DNS server " + server.ToString() + " answered " + RcodeName(ldns_pkt_get_rcode(answer.get())) +
                    " for " + name);
  }
  std::vector<std::string> out;
  ldns_rr_list* rrs = ldns_pkt_rr_list_by_type(answer.get(), LDNS_RR_TYPE_A, LDNS_SECTION_ANSWER);
  for (size_t i = 0; rrs != nullptr && i < ldns_rr_list_rr_count(rrs); ++i) {
    char* s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));
    out.emplace_back(s);
    free(s);
  }
  if (rrs != nullptr) ldns_rr_list_deep_free(rrs);
  if (out.empty()) return NotFound("DNS server " + server.ToString() + " has no A record for " + name);
  return out;
}

Status SwapARecord(const Endpoint& server, const std::string& zone, const std::string& name,
                   const std::string& old_address, const std::string& new_address, int ttl, const TsigKey& key,
                   double timeout_seconds) {
  DR_ASSIGN_OR_RETURN(Resolver r, NewResolver(server, timeout_seconds));
  ldns_resolver_set_tsig_keyname(r.get(), key.name.c_str());
  ldns_resolver_set_tsig_algorithm(r.get(), key.algorithm.c_str());
  ldns_resolver_set_tsig_keydata(r.get(), key.secret.c_str());
  // Prerequisite (RFC 2136 2.4.2, RRset exists, value dependent): name A old_address, class IN, TTL 0.
  ldns_rr_list* prereq = ldns_rr_list_new();
  ldns_rr_list_push_rr(prereq, ARecord(name, LDNS_RR_CLASS_IN, 0, old_address));
  // Update: delete the RRset (class ANY, no rdata), then add the new address.
  ldns_rr_list* updates = ldns_rr_list_new();
  ldns_rr_list_push_rr(updates, ARecord(name, LDNS_RR_CLASS_ANY, 0, ""));
  ldns_rr_list_push_rr(updates, ARecord(name, LDNS_RR_CLASS_IN, static_cast<uint32_t>(ttl), new_address));
  ldns_rdf* zone_rdf = ldns_dname_new_frm_str(Fqdn(zone).c_str());
  Packet pkt(ldns_update_pkt_new(zone_rdf, LDNS_RR_CLASS_IN, prereq, updates, nullptr));  // takes zone_rdf
  ldns_rr_list_deep_free(prereq);
  ldns_rr_list_deep_free(updates);
  if (ldns_update_pkt_tsig_add(pkt.get(), r.get()) != LDNS_STATUS_OK) {
    return ConfigError("unable to sign the DNS update with TSIG key '" + key.name + "' (" + key.algorithm + ")");
  }
  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_resolver_send_pkt(&raw, r.get(), pkt.get());
  Packet answer(raw);
  std::string what = "updating " + name + " to " + new_address + " on DNS server " + server.ToString();
  if (st != LDNS_STATUS_OK) {
    std::string why = ldns_get_errorstr_by_id(st);
    if (why.find("TSIG") != std::string::npos) return Status(Code::kPermissionDenied, what + ": " + why);
    return Unavailable(what + ": " + why);
  }
  ldns_pkt_rcode rcode = ldns_pkt_get_rcode(answer.get());
  if (rcode == LDNS_RCODE_NOERROR) return Status::Ok();
  if (rcode == LDNS_RCODE_NXRRSET) {
    auto now = ResolveA(server, name, timeout_seconds);
    std::string current = "nothing";
    if (now.ok()) {
      current.clear();
      for (const auto& a : *now) current += (current.empty() ? "" : ", ") + a;
    }
    return Failed(what + " refused: the record no longer points at " + old_address + " (it points at " + current +
                  "); someone else changed it");
  }
  if (rcode == LDNS_RCODE_NOTAUTH || rcode == LDNS_RCODE_REFUSED) {
    return Status(Code::kPermissionDenied, what + ": the server answered " + RcodeName(rcode) +
                                               " (is TSIG key '" + key.name + "' allowed to update zone " + zone + "?)");
  }
  return Failed(what + ": the server answered " + RcodeName(rcode));
}

}  // namespace dr::coordinator
