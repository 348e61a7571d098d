#include "credentials.hpp"

#include <string>
#include <utility>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::runtime {
namespace {

// The three PEM texts of a deployment with TLS on, each checked for the block it must hold.
struct Pem {
  std::string ca, cert, key;
};

// What a PEM file must hold: a certificate (the CA, the node's) or a private key.
enum class PemKind { kCertificate, kPrivateKey };

std::string read_pem(const std::string& flag, const std::string& path, PemKind kind) {
  // Standard input cannot be read again, and the credentials are read once per channel.
  if (path == "-") throw InputError(flag + ": -: standard input is not accepted (give a file)");
  std::string text;
  try {
    text = read_text_file(path);
  } catch (const InputError& e) {
    throw InputError(flag + ": " + e.what());  // "<path>: cannot read file: ..."
  }
  if (text.find("-----BEGIN ") == std::string::npos)
    throw InputError(flag + ": " + path + ": not a PEM file (no -----BEGIN line)");
  // Swapped flags are the common mistake; gRPC would only fail at the first handshake.
  if (kind == PemKind::kCertificate &&
      text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    throw InputError(flag + ": " + path + ": holds no certificate (-----BEGIN CERTIFICATE-----)");
  if (kind == PemKind::kPrivateKey) {
    if (text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos)
      throw InputError(flag + ": " + path +
                       ": the private key is encrypted (gRPC needs it unencrypted: openssl "
                       "-nodes)");
    if (text.find("PRIVATE KEY-----") == std::string::npos)
      throw InputError(flag + ": " + path + ": holds no private key (-----BEGIN PRIVATE KEY-----)");
  }
  return text;
}

// The checked PEM texts; all empty when TLS is off (no file given).
Pem load(const TlsFiles& tls) {
  if (!tls.enabled()) return {};
  const std::pair<const char*, const std::string*> flags[] = {
      {"--tls-ca", &tls.ca}, {"--tls-cert", &tls.cert}, {"--tls-key", &tls.key}};
  std::string given;
  for (const auto& [flag, path] : flags)
    if (!path->empty()) given += (given.empty() ? "" : " and ") + std::string(flag);
  for (const auto& [flag, path] : flags)
    if (path->empty())
      throw InputError(std::string(flag) + ": required with " + given +
                       " (mutual TLS needs --tls-ca, --tls-cert and --tls-key)");
  return {read_pem("--tls-ca", tls.ca, PemKind::kCertificate),
          read_pem("--tls-cert", tls.cert, PemKind::kCertificate),
          read_pem("--tls-key", tls.key, PemKind::kPrivateKey)};
}

}  // namespace

void check_tls(const TlsFiles& tls) { load(tls); }

std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  Pem pem = load(tls);
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = std::move(pem.ca);
  options.pem_key_cert_pairs.push_back({std::move(pem.key), std::move(pem.cert)});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  Pem pem = load(tls);
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(pem.ca);
  options.pem_private_key = std::move(pem.key);
  options.pem_cert_chain = std::move(pem.cert);
  return grpc::SslCredentials(options);
}

}  // namespace hivemind::runtime
