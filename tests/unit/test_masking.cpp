// Masking without a server: the transformers' outputs (deterministic under
// one key, different under another, plausible, NULL and '' kept), the key
// file's creation and refusals, and the COPY text field round trip the row
// masker relies on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "core/error.hpp"
#include "core/temp_dir.hpp"
#include "masking/key_file.hpp"
#include "masking/keyed_hash.hpp"
#include "masking/transformer.hpp"
#include "pg/copy_text.hpp"

namespace sandboxctl::masking {
namespace {

const KeyedHash& key_a() {
    static const KeyedHash hash(std::string(32, 'a'));
    return hash;
}
const KeyedHash& key_b() {
    static const KeyedHash hash(std::string(32, 'b'));
    return hash;
}

std::string masked(std::string_view spec, const std::string& value, const KeyedHash& hash = key_a()) {
    auto out = Transformer::parse(spec).apply(value, hash);
    EXPECT_TRUE(out.has_value()) << spec;
    return out.value_or("");
}

int digits(const std::string& text) {
    return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

TEST(Masking, SameInputSameOutputUnderOneKeyOnly) {
    for (auto spec :
         {"email", "name", "first_name", "last_name", "username", "company", "phone", "address", "iban", "text"}) {
        std::string input = std::string(spec) == "iban" ? "FR7630006000011234567890189" : "Zebulon Quackenbush 0612";
        EXPECT_EQ(masked(spec, input), masked(spec, input)) << spec;
        EXPECT_NE(masked(spec, input), input) << spec;
        EXPECT_NE(masked(spec, input), masked(spec, input, key_b())) << spec;
    }
    // Different inputs spread: 200 e-mails give 200 addresses.
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) seen.insert(masked("email", "user" + std::to_string(i) + "@corp.example"));
    EXPECT_EQ(seen.size(), 200u);
}

TEST(Masking, EmailIsOneAddressWhateverItsCase) {
    auto out = masked("email", "Zebulon.Q@RealMail.example");
    EXPECT_EQ(out, masked("email", "  zebulon.q@realmail.example "));
    EXPECT_TRUE(std::regex_match(out, std::regex(R"([a-z]+\.[a-z]+[0-9]+@example\.invalid)"))) << out;
    // Its family is its own: the same text as a name gives something else.
    EXPECT_NE(masked("name", "x@y.example"), masked("email", "x@y.example"));
}

TEST(Masking, PhoneKeepsItsDigitCountAndLayout) {
    auto out = masked("phone", "+33 6 12 34 56 78");
    EXPECT_EQ(out.size(), std::string("+33 6 12 34 56 78").size());
    EXPECT_EQ(digits(out), 11);
    EXPECT_EQ(out[0], '+');
    EXPECT_EQ(out[3], ' ');
    EXPECT_EQ(masked("phone", "0612345678")[0], '0');
}

bool iban_valid(std::string iban) {
    iban.erase(std::remove(iban.begin(), iban.end(), ' '), iban.end());
    std::string moved = iban.substr(4) + iban.substr(0, 4), number;
    for (char c : moved)
        number += std::isdigit(static_cast<unsigned char>(c)) ? std::string(1, c) : std::to_string(c - 'A' + 10);
    unsigned remainder = 0;
    for (char c : number) remainder = (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
    return remainder == 1;
}

// From the hostile review: a phone column holds words and other scripts'
// digits too; none of them may pass through.
TEST(Masking, PhoneDropsWhatIsNotADigitOrLayout) {
    for (std::string input : {"ask for Alice Secretperson", "unknown", "-", "\uff10\uff16 \uff11\uff12",
                              "\u0660\u0666\u0661\u0662", "06-12-34-56-78 / mobile of Mr. Secretperson"}) {
        auto out = masked("phone", input);
        EXPECT_TRUE(
            std::all_of(out.begin(), out.end(),
                        [](char c) { return std::string_view("0123456789+ -.()/").find(c) != std::string_view::npos; }))
            << input << " -> " << out;
        EXPECT_GE(digits(out), 1) << input << " -> " << out;
        EXPECT_EQ(out.find("Secretperson"), std::string::npos);
    }
    EXPECT_EQ(digits(masked("phone", "06-12-34-56-78 / mobile")), 10);
}

TEST(Masking, IbanKeepsCountryAndLengthWithValidCheckDigits) {
    ASSERT_TRUE(iban_valid("FR7630006000011234567890189"));
    for (std::string input : {"FR7630006000011234567890189", "DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819"}) {
        auto out = masked("iban", input);
        EXPECT_TRUE(iban_valid(out)) << out;
        EXPECT_EQ(out.substr(0, 2), input.substr(0, 2));
        EXPECT_EQ(out.size(), input.size()) << out;
    }
    EXPECT_TRUE(iban_valid(masked("iban", "not an iban")));
}

TEST(Masking, TextKeepsItsLengthInCharacters) {
    EXPECT_EQ(masked("text", "Zebulon called about the invoice").size(), 32u);
    EXPECT_EQ(masked("text", "é").size(), 1u);
    EXPECT_EQ(masked("text", "x"), masked("text", "x"));
}

TEST(Masking, NullStaysNullEmptyStaysEmpty) {
    for (auto spec : {"email", "name", "text", "fixed:x", "null", "keep", "iban"}) {
        EXPECT_FALSE(Transformer::parse(spec).apply(std::nullopt, key_a()).has_value()) << spec;
    }
    EXPECT_EQ(masked("email", ""), "");
    EXPECT_EQ(masked("fixed:redacted", "anything"), "redacted");
    EXPECT_EQ(masked("keep", "as is"), "as is");
    EXPECT_FALSE(Transformer::parse("null").apply(std::string("x"), key_a()).has_value());
    EXPECT_EQ(Transformer::parse("fixed:").spec(), "fixed:");
}

TEST(Masking, UnknownTransformerListsTheKnownOnes) {
    try {
        Transformer::parse("Email");
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::usage);
        EXPECT_NE(std::string(e.hint()).find("email, name"), std::string::npos) << e.hint();
    }
}

TEST(MaskingKey, CreatedPrivateOnceThenReadBack) {
    TempDir dir("masking-key");
    auto file = dir / "sub" / "masking.key";
    EXPECT_THROW(read_key(file, KeyUse::must_exist), Error);
    auto key = read_key(file, KeyUse::create_if_missing);
    EXPECT_EQ(key.size(), 32u);
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(read_key(file, KeyUse::create_if_missing), key);
    EXPECT_EQ(read_key(file, KeyUse::must_exist), key);
}

TEST(MaskingKey, RefusesAKeyOthersCanReadAndOneThatIsNotAKey) {
    TempDir dir("masking-key");
    auto file = dir / "masking.key";
    read_key(file, KeyUse::create_if_missing);
    chmod(file.c_str(), 0644);
    try {
        read_key(file, KeyUse::must_exist);
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::usage);
        EXPECT_NE(std::string(e.hint()).find("chmod 600"), std::string::npos);
    }
    chmod(file.c_str(), 0600);
    std::ofstream(file) << "secret-but-not-hex-and-never-printed\n";
    try {
        read_key(file, KeyUse::must_exist);
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
}

TEST(CopyTextField, RoundTrip) {
    for (std::optional<std::string> value :
         {std::optional<std::string>{}, std::optional<std::string>{""}, std::optional<std::string>{"a\tb\nc\\d\re"},
          std::optional<std::string>{"\\N"}}) {
        std::string raw;
        pg::append_copy_text_field(raw, value);
        EXPECT_EQ(raw.find('\t'), std::string::npos);
        EXPECT_EQ(pg::decode_copy_text_field(raw), value) << raw;
    }
    EXPECT_EQ(pg::decode_copy_text_field("\\101b"), std::optional<std::string>("Ab"));
}

}  // namespace
}  // namespace sandboxctl::masking
