#include "repo/crypto/seal.h"

#include "base/crypto.h"
#include "base/encoding.h"
#include "repo/crypto/keys.h"
#include "test/support/test_support.h"

namespace dr::repo {
namespace {

using test::StatusIs;

SealKey Key() { return {.cipher = CipherId::kAes256Gcm, .key_id = 1, .key = std::string(32, 'q')}; }

TEST(SealTest, RoundTripCompressesTextAndStoresRandomRaw) {
  std::string text = test::TextData(100000, 1);
  std::string sealed = Seal(Key(), ObjectType::kData, text, 3);
  EXPECT_LT(sealed.size(), text.size() / 2);
  EXPECT_EQ(static_cast<CompressionId>(sealed[2]), CompressionId::kZstd);
  EXPECT_EQ(*Unseal(Key(), ObjectType::kData, sealed), text);
  std::string random = test::RandomData(100000, 2);
  std::string sealed_raw = Seal(Key(), ObjectType::kData, random, 3);
  EXPECT_EQ(static_cast<CompressionId>(sealed_raw[2]), CompressionId::kNone);
  EXPECT_EQ(sealed_raw.size(), random.size() + kSealOverhead);
}

TEST(SealTest, EveryByteIsAuthenticated) {
  std::string sealed = Seal(Key(), ObjectType::kSnapshot, "manifest", 3);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x20;
    EXPECT_FALSE(Unseal(Key(), ObjectType::kSnapshot, bad).ok()) << "flipped byte " << i << " went unnoticed";
  }
}

TEST(SealTest, TypeAndKeyAreChecked) {
  std::string sealed = Seal(Key(), ObjectType::kIndex, "idx", 3);
  EXPECT_THAT(Unseal(Key(), ObjectType::kSnapshot, sealed), StatusIs(Code::kCorrupt));
  SealKey other = Key();
  other.key = std::string(32, 'r');
  EXPECT_THAT(Unseal(other, ObjectType::kIndex, sealed), StatusIs(Code::kCorrupt));
}

TEST(SealTest, NoncesAreFresh) {
  EXPECT_NE(Seal(Key(), ObjectType::kData, "same", 0), Seal(Key(), ObjectType::kData, "same", 0));
}

TEST(KeysTest, WrapAndUnwrap) {
  DataKeys keys = DataKeys::Generate(true);
  std::string master(32, 'm');
  std::string file = WrapDataKeys(keys, master, "2026-11-26T00:00:00Z");
  EXPECT_EQ(file.find(Base64Encode(keys.id_key)), std::string::npos) << "the id key must not be stored in the clear";
  auto back = UnwrapDataKeys(file, master);
  ASSERT_OK(back);
  EXPECT_EQ(back->encryption_key, keys.encryption_key);
  EXPECT_EQ(back->id_key, keys.id_key);
  EXPECT_EQ(back->chunker_seed, keys.chunker_seed);
  EXPECT_THAT(UnwrapDataKeys(file, std::string(32, 'n')), StatusIs(Code::kWrongKey));
}

TEST(CryptoTest, KnownAnswers) {
  EXPECT_EQ(HexEncode(crypto::Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(crypto::HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace dr::repo
