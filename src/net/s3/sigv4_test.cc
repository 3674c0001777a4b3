#include "net/s3/sigv4.h"

#include "base/time_util.h"
#include "test/support/test_support.h"

namespace dr::net::s3 {
namespace {

// The "GET Object" example of the AWS S3 SigV4 documentation.
TEST(SigV4Test, AwsDocumentationExample) {
  SignedRequest r{.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt", .query = {},
                  .headers = {{"range", "bytes=0-9"}},
                  .payload_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
  Sign(r, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, "us-east-1",
       *ParseUtc("2013-05-24T00:00:00Z"));
  EXPECT_EQ(r.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, CanonicalQueryIsSortedAndEncoded) {
  EXPECT_EQ(CanonicalQuery({{"prefix", "p/x y"}, {"list-type", "2"}, {"continuation-token", "a+b="}, {"uploads", ""}}),
            "continuation-token=a%2Bb%3D&list-type=2&prefix=p%2Fx%20y&uploads=");
  EXPECT_EQ(UriEncode("dir/ä b+c=~", true), "dir/%C3%A4%20b%2Bc%3D~");
}

}  // namespace
}  // namespace dr::net::s3
