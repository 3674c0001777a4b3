#include "net/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "net/curl_upload.h"

namespace dr::net {
namespace {

// What went wrong, from libcurl's code and the server's last reply code.
Status Explain(CURLcode rc, long reply, const std::string& server) {
  std::string code = reply > 0 ? " (" + std::to_string(reply) + ")" : "";
  std::string who = "SMTP server " + server;
  switch (rc) {
    case CURLE_LOGIN_DENIED:
      return Failed(who + " refused the login" + code);
    case CURLE_USE_SSL_FAILED:
      return Failed(who + " does not offer STARTTLS" + code);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Failed(who + ": TLS certificate not trusted (" + curl_easy_strerror(rc) + ")");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return Unavailable(who + " is unreachable: " + curl_easy_strerror(rc));
    case CURLE_OPERATION_TIMEDOUT:
      return Unavailable(who + " did not answer in time");
    default:
      break;
  }
  // MAIL FROM, RCPT TO or DATA refused: libcurl reports a send or a protocol
  // error; the reply code says whether it is worth trying again.
  if (reply >= 500) return Failed(who + " refused the message" + code + ": " + curl_easy_strerror(rc));
  if (reply >= 400) return Unavailable(who + " deferred the message" + code + ": " + curl_easy_strerror(rc));
  return Unavailable(who + ": " + curl_easy_strerror(rc) + code);
}

}  // namespace

Status SmtpSend(const SmtpRequest& r) {
  if (r.to.empty()) return InvalidArgument("an email needs at least one recipient");
  std::string server = r.host + ":" + std::to_string(r.port);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Failed("unable to start an SMTP session");
  std::string url = std::string(r.implicit_tls ? "smtps://" : "smtp://") + server;
  std::string from = "<" + r.from + ">";
  curl_slist* rcpt = nullptr;
  for (const auto& to : r.to) rcpt = curl_slist_append(rcpt, ("<" + to + ">").c_str());
  CurlUpload upload{r.message};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, r.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(r.timeout_ms, 10000L));
  if (r.starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!r.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadCurlUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  CURLcode rc = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return Status::Ok();
  return Explain(rc, reply, server);
}

}  // namespace dr::net
