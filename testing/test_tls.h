// A throw-away TLS identity for tests that run a local HTTPS server (httplib::SSLServer): a
// self-signed CA certificate with the given subjectAltName, usable directly as the server's
// certificate; clients trust it by loading its PEM as their CA bundle.
// Thread-safety: plain functions.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <utility>

namespace fleetpatch::testing {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A P-256 key and a CA:TRUE certificate for `san` (e.g. "IP:127.0.0.1,DNS:localhost"), valid for an
// hour either side of now. Null pointers when OpenSSL fails.
std::pair<X509Ptr, PkeyPtr> MakeSelfSigned(const char* san);

// Writes the certificate as PEM (the CA bundle for clients); false on failure.
bool WriteCertPem(X509* cert, const std::filesystem::path& path);

}  // namespace fleetpatch::testing
