// Dolibarr's dolcrypt and the instance id in conf.php, checked against the real
// PHP of Dolibarr 23: known-answer vectors it produced, and, when php and
// ../shared are here, Dolibarr's own dolEncrypt/dolDecrypt and PHP's own reading
// of conf.php at test time.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "harness/prerequisite.hpp"
#include "profiles/dolibarr/conf_php.hpp"
#include "profiles/dolibarr/dolcrypt.hpp"
#include "profiles/dolibarr/profile.hpp"
#include "sync/location.hpp"
#include "sync/read_file.hpp"

namespace sandboxctl::dolibarr {
namespace {

namespace fs = std::filesystem;

const std::string example_id = "84b5bc91f83b56e458db71e0adac2b62";  // conf.php.example's

struct Vector {
    std::string key;
    std::string plain;
    std::string stored;
};

// Produced with Dolibarr 23.0.0-beta's own code (../shared/apps, PHP 8.2): a
// script that require_once's htdocs/core/lib/functions.lib.php and
// security.lib.php, sets $conf->file->instance_unique_id = KEY and prints
// dolEncrypt(PLAIN, '', '', FORCESEED) (FORCESEED "dolibarr" for the second,
// "" otherwise); dolDecrypt of each gave PLAIN back. The 3rd has a key shorter
// than 32 bytes, the 4th a longer one.
const std::vector<Vector> dolibarr_vectors = {
    {example_id, "smtp-secret-Pa55!", "dolcrypt:AES-256-CTR:353f7fa3d23e76ac:PNCU5YN3HalYD5bbkqroiZ0="},
    {example_id, "fR9xQ2mL7vT4kP1z", "dolcrypt:AES-256-CTR:10fbb3f05469219f:GW8fZCj4FvTXNJeJ4c60iw=="},
    {"shortkey", "hello", "dolcrypt:AES-256-CTR:241dcaab3a91c27f:aLPTIe0="},
    {"0123456789abcdef0123456789abcdefEXTRA123", "a longer value, with spaces: and colons",
     "dolcrypt:AES-256-CTR:6b1757ddfe2e0eb6:yDTh9XeQ/uicXnsse8xAMRKiu3i0PwA+DFIO5PUCNcn5eM/ktAdu"},
};

// Forms Dolibarr writes no more but dolDecrypt still reads, made with PHP's
// openssl_encrypt(PLAIN, "AES-256-CTR", example_id, 0, IV) and checked with
// Dolibarr's dolDecrypt: no IV part (IV ""), a 3-byte IV ("abc", which PHP
// pads with NULs), and the algorithm in lower case.
const std::vector<Vector> legacy_vectors = {
    {example_id, "no iv part", "dolcrypt:AES-256-CTR:Zm32YW0csPaQxQ=="},
    {example_id, "short iv", "dolcrypt:AES-256-CTR:abc:WK4wvEh6ooU="},
    {example_id, "lower case", "dolcrypt:aes-256-ctr:0123456789abcdef:VzCKycQmcoRWnA=="},
};

TEST(Dolcrypt, DecryptsWhatDolibarrEncrypted) {
    for (const auto& v : dolibarr_vectors) {
        EXPECT_EQ(decrypt(v.stored, InstanceKey(v.key)), v.plain) << v.stored;
    }
    for (const auto& v : legacy_vectors) {
        EXPECT_EQ(decrypt(v.stored, InstanceKey(v.key)), v.plain) << v.stored;
    }
}

TEST(Dolcrypt, EncryptsAsDolibarrDoes) {
    for (const auto& v : dolibarr_vectors) {
        const std::string iv = v.stored.substr(std::string("dolcrypt:AES-256-CTR:").size(), 16);
        EXPECT_EQ(encrypt(v.plain, InstanceKey(v.key), iv), v.stored);
    }
}

TEST(Dolcrypt, KeysArePaddedWithNulOrCutTo32Bytes) {
    const std::string iv = "0123456789abcdef";
    EXPECT_EQ(encrypt("x", InstanceKey("shortkey"), iv),
              encrypt("x", InstanceKey(std::string("shortkey") + std::string(24, '\0')), iv));
    EXPECT_EQ(encrypt("x", InstanceKey(example_id + "more"), iv), encrypt("x", InstanceKey(example_id), iv));
    EXPECT_NE(encrypt("x", InstanceKey(example_id), iv), encrypt("x", InstanceKey(example_id.substr(0, 31)), iv));
}

TEST(Dolcrypt, FixedIvIsDolibarrsForcedSeed) { EXPECT_EQ(fixed_iv(), "10fbb3f05469219f"); }

TEST(Dolcrypt, RandomIvIsSixteenFreshHexDigits) {
    const std::string a = random_iv(), b = random_iv();
    EXPECT_EQ(a.size(), 16U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
    EXPECT_NE(a, b);
}

TEST(Dolcrypt, RoundTrips) {
    const InstanceKey key(example_id);
    for (const std::string& plain : std::vector<std::string>{"a", "secret", "with: colons = and / slashes +",
                                                             std::string(1000, 'z'), "tab\tnewline\n"}) {
        const std::string stored = encrypt(plain, key, random_iv());
        EXPECT_TRUE(is_dolcrypt(stored));
        EXPECT_EQ(decrypt(stored, key), plain);
        EXPECT_EQ(decrypt(encrypt(plain, key, fixed_iv()), key), plain);
    }
}

TEST(Dolcrypt, AWrongKeyDoesNotGiveThePlainText) {
    const InstanceKey right(example_id), wrong("ffffffffffffffffffffffffffffffff");
    for (const auto& plain : {"smtp-secret-Pa55!", "x", "a much longer secret value of many bytes"}) {
        const auto decrypted = decrypt(encrypt(plain, right, random_iv()), wrong);
        EXPECT_NE(decrypted, std::optional<std::string>(plain));
    }
    // Dolibarr kept this one as stored (its ASCII check failed), so nullopt here.
    EXPECT_EQ(decrypt("dolcrypt:AES-256-CTR:60b32c8363045b26:4YmB3ip+GZo+iLnb2TYgrFQ=", wrong), std::nullopt);
    EXPECT_EQ(decrypt("dolcrypt:AES-256-CTR:60b32c8363045b26:4YmB3ip+GZo+iLnb2TYgrFQ=", right), "smtp-secret-Pa55!");
}

TEST(Dolcrypt, NonAsciiPlainTextIsRefusedAsDolibarrRefusesIt) {
    // dolEncrypt("pässwörd") by Dolibarr 23; its dolDecrypt returned the stored text.
    EXPECT_EQ(decrypt("dolcrypt:AES-256-CTR:42b5a6c3d94309f1:0iaEXCac0eJIFw==", InstanceKey(example_id)), std::nullopt);
    const InstanceKey key(example_id);
    EXPECT_EQ(decrypt(encrypt("caf\xc3\xa9", key, random_iv()), key), std::nullopt);
}

TEST(Dolcrypt, OtherAlgorithmsAreNotDecrypted) {
    const InstanceKey key(example_id);
    const std::string ctr = encrypt("hello", key, "0123456789abcdef");
    std::string cbc = ctr;
    cbc.replace(cbc.find("CTR"), 3, "CBC");
    EXPECT_TRUE(is_dolcrypt(cbc));
    EXPECT_EQ(decrypt(cbc, key), std::nullopt);
    EXPECT_EQ(decrypt("dolcrypt:AES-128-CTR:0123456789abcdef:PNCU5YN3", key), std::nullopt);
}

TEST(Dolcrypt, MalformedValuesAreNotDecrypted) {
    const InstanceKey key(example_id);
    for (const std::string bad :
         {"", "plain text", "dolcrypt", "dolcrypt:", "dolcrypt:AES-256-CTR",
          "dolcrypt:AES-256-CTR:", "dolcrypt::0123456789abcdef:aLPTIe0=", "dolcrypt:AES-256-CTR:0123456789abcdef:!!!!",
          "dolcrypt:AES-256-CTR:0123456789abcdef:aLPTIe0",
          "dolcrypt:AES-256-CTR:0123456789abcdef:aLP TIe0=", "dolcrypt:AES-256-CTR:0123\n456789abcdef:aLPTIe0="}) {
        EXPECT_EQ(decrypt(bad, key), std::nullopt) << bad;
    }
    EXPECT_FALSE(is_dolcrypt("plain text"));
    EXPECT_FALSE(is_dolcrypt("DOLCRYPT:AES-256-CTR:x:y"));
    // PCRE's $ matches before a final line break, so Dolibarr reads this one.
    EXPECT_EQ(decrypt(dolibarr_vectors[0].stored + "\n", key), dolibarr_vectors[0].plain);
}

TEST(Dolcrypt, EncryptKeepsEmptyAndAlreadyStoredValues) {
    const InstanceKey key(example_id);
    EXPECT_EQ(encrypt("", key, random_iv()), "");
    EXPECT_EQ(encrypt(dolibarr_vectors[0].stored, key, random_iv()), dolibarr_vectors[0].stored);
    EXPECT_THROW(encrypt("x", key, "short"), Error);
    EXPECT_THROW(encrypt("x", InstanceKey(""), random_iv()), Error);
    EXPECT_EQ(decrypt(dolibarr_vectors[0].stored, InstanceKey("")), std::nullopt);
}

// --- conf.php ---------------------------------------------------------------

std::string key_of(const std::string& php) { return instance_key_from_conf(php, "the test's conf.php").bytes(); }

// The error's text; fails the test when there is none or when it shows a secret.
std::string error_of(const std::function<void()>& action, const std::vector<std::string>& secrets) {
    try {
        action();
    } catch (const Error& e) {
        const std::string text = std::string(e.what()) + "\n" + e.hint();
        for (const auto& secret : secrets) EXPECT_EQ(text.find(secret), std::string::npos) << text;
        return text;
    }
    ADD_FAILURE() << "no error";
    return {};
}

TEST(ConfPhp, ReadsSingleQuotedIdWithItsEscapes) {
    EXPECT_EQ(key_of("<?php\n$dolibarr_main_instance_unique_id='" + example_id + "';\n"), example_id);
    EXPECT_EQ(key_of("<?php $dolibarr_main_instance_unique_id = 'it\\'s \\\\ a \\n \"key\"' ;"),
              "it's \\ a \\n \"key\"");
}

TEST(ConfPhp, ReadsDoubleQuotedIdWithItsEscapes) {
    EXPECT_EQ(key_of("<?php $dolibarr_main_instance_unique_id=\"a\\x41\\101\\t\\\\\\$\\\"\\u{e9}\\q'\";"),
              std::string("aAA\t\\$\"\xc3\xa9\\q'"));
}

TEST(ConfPhp, IgnoresCommentsAndTakesTheLastAssignment) {
    const std::string php = "<?php\n"
                            "// $dolibarr_main_instance_unique_id='line-comment';\n"
                            "# $dolibarr_main_instance_unique_id='hash-comment';\n"
                            "$dolibarr_main_instance_unique_id='first';\n"
                            "/* $dolibarr_main_instance_unique_id='block-comment';\n"
                            "   still in it */\n"
                            "$dolibarr_main_instance_unique_id /* here too */ = # and here\n"
                            "  'second'; // trailing\n"
                            "$other = '$dolibarr_main_instance_unique_id = \\'in-a-string\\';';\n"
                            "if ($dolibarr_main_instance_unique_id == 'x') {}\n"
                            "$dolibarr_main_instance_unique_id_old = 'similar name';\n";
    EXPECT_EQ(key_of(php), "second");
    EXPECT_EQ(
        key_of("Inline text $dolibarr_main_instance_unique_id='html'; <?php $dolibarr_main_instance_unique_id='php'; ?>"
               " $dolibarr_main_instance_unique_id='html-again';"),
        "php");
}

TEST(ConfPhp, FallsBackToTheCookieKeyAsDolibarrDoes) {
    EXPECT_EQ(key_of("<?php $dolibarr_main_cookie_cryptkey='cookie';"), "cookie");
    EXPECT_EQ(key_of("<?php $dolibarr_main_instance_unique_id=''; $dolibarr_main_cookie_cryptkey='cookie';"), "cookie");
    EXPECT_EQ(key_of("<?php $dolibarr_main_instance_unique_id='0'; $dolibarr_main_cookie_cryptkey='cookie';"),
              "cookie");
    EXPECT_EQ(key_of("<?php $dolibarr_main_cookie_cryptkey='cookie'; $dolibarr_main_instance_unique_id='id';"), "id");
}

TEST(ConfPhp, MissingOrUnreadableIdIsAnErrorThatDoesNotShowIt) {
    const std::string missing = error_of([] { key_of("<?php $dolibarr_main_db_pass='dbsecret';"); }, {"dbsecret"});
    EXPECT_NE(missing.find("the test's conf.php"), std::string::npos) << missing;
    EXPECT_NE(missing.find("dolibarr_main_instance_unique_id"), std::string::npos) << missing;
    error_of([] { key_of("<?php $dolibarr_main_instance_unique_id=''; $dolibarr_main_cookie_cryptkey='0';"); }, {});
    // Values sandboxctl cannot know without running PHP: refused, not guessed.
    for (const std::string php :
         {"<?php $dolibarr_main_instance_unique_id = getenv('ID');",
          "<?php $dolibarr_main_instance_unique_id = 'secret-part' . 'more';",
          "<?php $dolibarr_main_instance_unique_id = \"secret-$x\";",
          "<?php $dolibarr_main_instance_unique_id = 'secret-a'; $dolibarr_main_instance_unique_id .= 'b';",
          "<?php $dolibarr_main_instance_unique_id = 'secret-unterminated;",
          "<?php /* $dolibarr_main_instance_unique_id = 'secret-x';"}) {
        const std::string text = error_of([&] { key_of(php); }, {"secret"});
        EXPECT_NE(text.find("could not read the instance id from the test's conf.php"), std::string::npos) << text;
    }
}

TEST(ConfPhp, ReadsTheKeyThroughLocalAndExecLocations) {
    const TempDir dir("sandboxctl-test-conf");
    fs::create_directories(dir.path() / "htdocs/conf");
    write_private_file(dir.path() / "htdocs/conf/conf.php",
                       "<?php\n$dolibarr_main_instance_unique_id='" + example_id + "';\n");
    const fs::path conf = dir.path() / "htdocs/conf/conf.php";
    EXPECT_EQ(read_instance_key(conf.string(), {}, "the sandbox's conf.php").bytes(), example_id);
    EXPECT_EQ(read_instance_key("htdocs/conf/conf.php", dir.path(), "the sandbox's conf.php").bytes(), example_id);
    EXPECT_EQ(read_instance_key("exec:sh -c::" + conf.string(), {}, "the sandbox's conf.php").bytes(), example_id);

    const std::string missing_local =
        error_of([&] { read_instance_key((dir.path() / "none.php").string(), {}, "the prod conf.php"); }, {example_id});
    EXPECT_NE(missing_local.find("could not read the prod conf.php \"" + (dir.path() / "none.php").string() + "\""),
              std::string::npos)
        << missing_local;
    const std::string missing_remote = error_of(
        [&] { read_instance_key("exec:sh -c::" + (dir.path() / "none.php").string(), {}, "the prod conf.php"); },
        {example_id});
    EXPECT_NE(missing_remote.find("could not read the prod conf.php \"exec:sh -c::"), std::string::npos)
        << missing_remote;

    write_private_file(dir.path() / "empty.php", "<?php\n");
    const std::string no_id =
        error_of([&] { read_instance_key((dir.path() / "empty.php").string(), {}, "the prod conf.php"); }, {});
    EXPECT_NE(no_id.find((dir.path() / "empty.php").string()), std::string::npos) << no_id;
}

TEST(ConfPhp, SmallFileReadingRefusesLargeFiles) {
    const TempDir dir("sandboxctl-test-conf");
    write_private_file(dir.path() / "big", std::string(100, 'x'));
    const auto local = sync::parse_location((dir.path() / "big").string(), "test");
    EXPECT_EQ(sync::read_small_file(local, 100, "the file").size(), 100U);
    EXPECT_THROW(sync::read_small_file(local, 99, "the file"), Error);
    const auto remote = sync::parse_location("exec:sh -c::" + (dir.path() / "big").string(), "test");
    EXPECT_EQ(sync::read_small_file(remote, 100, "the file"), std::string(100, 'x'));
    EXPECT_THROW(sync::read_small_file(remote, 99, "the file"), Error);
}

// --- conf.php: what could change the id is refused, naming the line -----------

// The error's exit code and text, as error_of.
struct CodedError {
    ExitCode code = ExitCode::ok;
    std::string text;
};
CodedError coded_error_of(const std::function<void()>& action, const std::vector<std::string>& secrets) {
    try {
        action();
    } catch (const Error& e) {
        const std::string text = std::string(e.what()) + "\n" + e.hint();
        for (const auto& secret : secrets) EXPECT_EQ(text.find(secret), std::string::npos) << text;
        return {e.code(), text};
    }
    ADD_FAILURE() << "no error";
    return {};
}

TEST(ConfPhp, RefusesWhatCouldChangeTheIdNamingTheLine) {
    const std::string before = "<?php\n$dolibarr_main_instance_unique_id='secret-a';\n";  // lines 1-2
    // Each is line 3 of its file: PHP would give another id than the plain
    // top-level assignment, or one sandboxctl cannot know without running it.
    for (const std::string construct : {
             "if (false) { $dolibarr_main_instance_unique_id = 'secret-b'; }",
             "if (false) {\n$dolibarr_main_instance_unique_id = 'secret-b'; }",           // line 4, see below
             "if (false) { ?>\n<?php $dolibarr_main_instance_unique_id = 'secret-b'; }",  // line 4
             "if (false) $dolibarr_main_instance_unique_id = 'secret-b';",
             "if (true) {} else $dolibarr_main_instance_unique_id = 'secret-b';",
             "while (false) $dolibarr_main_cookie_cryptkey = 'secret-b';",
             "function f() { $dolibarr_main_instance_unique_id = 'secret-b'; }",
             "if (false): $a = 1; $dolibarr_main_instance_unique_id = 'secret-b'; endif;",
             "include 'other-conf.php';",
             "include_once('other-conf.php');",
             "REQUIRE __DIR__ . '/other-conf.php';",
             "require_once \"other-conf.php\";",
             "eval('$dolibarr_main_instance_unique_id = \"secret-b\";');",
             "extract(['dolibarr_main_instance_unique_id' => 'secret-b']);",
             "$GLOBALS['dolibarr_main_instance_unique_id'] = 'secret-b';",
             "$GLOBALS[\"dolibarr_main_cookie_cryptkey\"] = 'secret-b';",
             "$GLOBALS['dolibarr_main_' . 'instance_unique_id'] = 'secret-b';",
             "$GLOBALS[$name] = 'secret-b';",
             "$name = 'dolibarr_main_instance_unique_id'; $$name = 'secret-b';",
             "${'dolibarr_main_instance_unique_id'} = 'secret-b';",
             "[$dolibarr_main_instance_unique_id] = ['secret-b'];",
             "list($dolibarr_main_instance_unique_id) = ['secret-b'];",
             "foreach (['secret-b'] as $dolibarr_main_instance_unique_id) {}",
             "$dolibarr_main_instance_unique_id[0] = 'x';",
             "$dolibarr_main_instance_unique_id++;",
             "unset($dolibarr_main_instance_unique_id);",
             "$alias = &$dolibarr_main_instance_unique_id; $alias = 'secret-b';",
             "$a = $dolibarr_main_instance_unique_id = 'secret-b';",
             "return; $dolibarr_main_instance_unique_id = 'secret-b';",
             "goto end; $dolibarr_main_instance_unique_id = 'secret-b'; end:",
         }) {
        const std::string php = before + construct + "\n$dolibarr_main_db_pass = 'dbsecret';\n";
        const auto error = coded_error_of([&] { key_of(php); }, {"secret-a", "secret-b", "dbsecret"});
        EXPECT_EQ(error.code, ExitCode::usage) << construct << "\n" << error.text;
        const std::string line = construct.find('\n') == std::string::npos ? "line 3" : "line 4";
        EXPECT_NE(error.text.find("the test's conf.php: " + line + ": "), std::string::npos) << construct << "\n"
                                                                                             << error.text;
    }
}

TEST(ConfPhp, KeepsReadingWhatRealConfFilesHold) {
    // As Dolibarr 23's installer writes it (install/step1.php), and with what
    // an operator may add around the id without changing it.
    const std::string installed = "<?php\n//\n// File generated by Dolibarr installer 23.0.0-beta on 2025-01-01\n//\n"
                                  "$dolibarr_main_url_root='http://localhost';\n"
                                  "$dolibarr_main_document_root=\"/var/www/dolibarr/htdocs\";\n"
                                  "//$dolibarr_main_url_root_alt='/custom';\n"
                                  "$dolibarr_main_db_pass='it\\'s include';\n"
                                  "// Authentication settings\n$dolibarr_main_authentication='dolibarr';\n\n"
                                  "//$dolibarr_main_demo='autologin,autopass';\n"
                                  "$dolibarr_main_instance_unique_id='" +
                                  example_id +
                                  "';\n"
                                  "$dolibarr_mailing_limit_sendbyweb='0';\n"
                                  "//$dolibarr_lib_FPDF_PATH=\"\";\n"
                                  "$dolibarr_js_JQUERY='';\n";
    EXPECT_EQ(key_of(installed), example_id);
    const std::string operators_additions =
        "<?php\n"
        "if (!defined('NOREQUIREMENU')) { $a = 1; }\n"
        "if (getenv('X')) $dolibarr_main_db_pass = getenv('X');\n"
        "$dolibarr_main_instance_unique_id = 'the-id'; // require 'x.php' in a comment\n"
        "$GLOBALS['dolibarr_main_db_pass'] = 'not the id';\n"
        "if (empty($dolibarr_main_instance_unique_id) || $dolibarr_main_cookie_cryptkey == 'x') {}\n"
        "$db->include('x'); Foo::require('y');\n"
        "$dolibarr_main_instance_unique_id_old = 'x'; $my_include = 1;\n";
    EXPECT_EQ(key_of(operators_additions), "the-id");
}

// --- conf.php: only regular files are read -------------------------------------

// read_instance_key of `path`, failing (not hanging) when it blocks: the FIFO
// it waits on is then opened for writing and closed, which ends the wait (the
// non-blocking open fails, and waits for nothing, when no reader is left).
CodedError refusal_of_special_file(const fs::path& path) {
    auto reading = std::async(std::launch::async, [&] {
        return coded_error_of([&] { read_instance_key(path.string(), {}, "the sandbox's conf.php"); }, {});
    });
    if (reading.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
        ADD_FAILURE() << "reading " << path << " blocked";
        const int writer = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (writer >= 0) ::close(writer);
    }
    return reading.get();
}

TEST(ConfPhp, ReadsOnlyRegularFiles) {
    const TempDir dir("sandboxctl-test-conf");
    const fs::path fifo = dir.path() / "conf.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const fs::path socket_path = dir.path() / "conf.sock";
    const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sock, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    ASSERT_EQ(::bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ::close(sock);

    const std::vector<std::pair<fs::path, std::string>> special = {
        {fifo, "a FIFO"}, {dir.path(), "a directory"}, {"/dev/null", "a character device"}, {socket_path, "a socket"}};
    for (const auto& [path, kind] : special) {
        const auto error = refusal_of_special_file(path);
        EXPECT_EQ(error.code, ExitCode::usage) << error.text;
        EXPECT_NE(error.text.find("could not read the sandbox's conf.php \"" + path.string() + "\": it is " + kind +
                                  ", not a regular file"),
                  std::string::npos)
            << error.text;
    }
    // A symbolic link to a regular file is read as the file.
    write_private_file(dir.path() / "conf.php", "<?php $dolibarr_main_instance_unique_id='" + example_id + "';");
    fs::create_symlink(dir.path() / "conf.php", dir.path() / "link.php");
    EXPECT_EQ(read_instance_key((dir.path() / "link.php").string(), {}, "the sandbox's conf.php").bytes(), example_id);
}

// --- prod and the sandbox must not share an instance id -------------------------

TEST(ConfPhp, ARefreshWithProdsOwnIdInTheSandboxIsRefused) {
    const TempDir dir("sandboxctl-test-conf");
    const auto write = [&](const std::string& file, const std::string& id) {
        fs::remove(dir.path() / file);
        write_private_file(dir.path() / file, "<?php\n$dolibarr_main_instance_unique_id = '" + id + "';\n");
    };
    DolibarrSettings settings;
    settings.base_dir = dir.path();
    settings.sandbox_conf = "sandbox.php";
    settings.prod_conf = "prod.php";
    const auto profile = [](const DolibarrSettings& s, ProfileMode mode) { DolibarrProfile built(s, mode); };

    // The same id, and ids that differ only past the 32 bytes dolcrypt uses.
    for (const auto& [sandbox_id, prod_id] : std::vector<std::pair<std::string, std::string>>{
             {example_id, example_id}, {example_id + "-sandbox", example_id + "-prod"}}) {
        write("sandbox.php", sandbox_id);
        write("prod.php", prod_id);
        const auto error =
            coded_error_of([&] { profile(settings, ProfileMode::refresh); }, {example_id, sandbox_id, prod_id});
        EXPECT_EQ(error.code, ExitCode::refused) << error.text;
        EXPECT_NE(error.text.find("prod_conf and sandbox_conf hold the same instance id"), std::string::npos)
            << error.text;
        EXPECT_NE(error.text.find("$dolibarr_main_instance_unique_id"), std::string::npos) << error.text;
        // A full reset reads no id; without prod_conf there is nothing to compare.
        EXPECT_NO_THROW(profile(settings, ProfileMode::reset));
        DolibarrSettings sandbox_only = settings;
        sandbox_only.prod_conf.clear();
        EXPECT_NO_THROW(profile(sandbox_only, ProfileMode::refresh));
    }
    write("sandbox.php", "5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5");
    write("prod.php", example_id);
    EXPECT_NO_THROW(profile(settings, ProfileMode::refresh));
}

TEST(ConfPhp, SameInstanceComparesTheDolcryptKeys) {
    EXPECT_TRUE(same_instance(InstanceKey(example_id), InstanceKey(example_id)));
    EXPECT_TRUE(same_instance(InstanceKey(example_id + "a"), InstanceKey(example_id + "b")));  // cut at 32 bytes
    EXPECT_TRUE(same_instance(InstanceKey("short"), InstanceKey(std::string("short\0", 6))));  // padded with NUL
    EXPECT_FALSE(same_instance(InstanceKey(example_id), InstanceKey("5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5")));
    EXPECT_FALSE(same_instance(InstanceKey(example_id), InstanceKey(example_id.substr(0, 31))));
}

// --- against the real PHP of Dolibarr 23 --------------------------------------

fs::path dolibarr_archive() { return test::shared_dir() / "apps/dolibarr-23.0.0-beta.tar.xz"; }
fs::path php_dir() { return fs::path(SANDBOXCTL_TEST_SOURCE_DIR) / "unit/php"; }

bool php_available() { return run_process({{"sh", "-c", "command -v php"}, {}}).succeeded(); }

std::string base64(const std::string& bytes) {
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(n));
    return text;
}

std::string unbase64(const std::string& text) {
    if (text.empty()) return {};
    std::string bytes(3 * (text.size() / 4), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) {
        ADD_FAILURE() << "not base64: " << text;
        return {};
    }
    const auto padding = text.size() - text.find_last_not_of('=') - 1;
    bytes.resize(static_cast<std::size_t>(n) - padding);
    return bytes;
}

// The conf.php Dolibarr 23 ships as its example.
TEST(ConfPhp, TheInstallersExampleIsRead) {
    if (!fs::exists(dolibarr_archive())) {
        MISSING_PREREQUISITE() << "Dolibarr 23 not found at " << dolibarr_archive() << " (it lives in ../shared)";
    }
    const TempDir dir("sandboxctl-test-conf");
    const std::string example = "dolibarr-23.0.0-beta/htdocs/conf/conf.php.example";
    run_checked({{"tar", "-xJf", dolibarr_archive().string(), "-C", dir.path().string(), example}, {}});
    EXPECT_EQ(read_instance_key((dir.path() / example).string(), {}, "conf.php.example").bytes(), example_id);
}

class DolcryptPhp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!php_available() || !fs::exists(dolibarr_archive())) return;
        work_ = new TempDir("sandboxctl-test-dolcrypt");
        const std::string root = "dolibarr-23.0.0-beta/htdocs/core/lib/";
        run_checked({{"tar", "-xJf", dolibarr_archive().string(), "-C", work_->path().string(),
                      root + "functions.lib.php", root + "security.lib.php"},
                     {}});
        htdocs_ = work_->path() / "dolibarr-23.0.0-beta/htdocs";
    }
    static void TearDownTestSuite() {
        delete work_;
        work_ = nullptr;
    }
    void SetUp() override {
        if (!php_available()) {
            MISSING_PREREQUISITE() << "php is not installed (scripts/setup.sh installs it)";
        }
        if (!work_) {
            MISSING_PREREQUISITE() << "Dolibarr 23 not found at " << dolibarr_archive() << " (it lives in ../shared)";
        }
    }

    // Dolibarr's dolEncrypt of each plain and dolDecrypt of each stored value,
    // under `key`; the key reaches php in a 0600 file, not in argv.
    static nlohmann::json dolibarr(const std::string& key, const std::vector<std::string>& plains,
                                   const std::vector<std::string>& stored, const std::string& forceseed = "") {
        nlohmann::json request = {{"htdocs", htdocs_.string()},
                                  {"key", base64(key)},
                                  {"forceseed", forceseed},
                                  {"encrypt", nlohmann::json::array()},
                                  {"decrypt", stored}};
        for (const auto& plain : plains) request["encrypt"].push_back(base64(plain));
        const fs::path file = work_->path() / ("request-" + std::to_string(++requests_) + ".json");
        write_private_file(file, request.dump());
        const auto result = run_checked({{"php", (php_dir() / "dolcrypt_bridge.php").string(), file.string()}, {}});
        fs::remove(file);
        return nlohmann::json::parse(result.out);
    }

    static std::vector<std::string> sample_plains() {
        std::vector<std::string> plains = {"a",
                                           "smtp-secret-Pa55!",
                                           "with: colons = and / + signs",
                                           "tab\tand\nnewline",
                                           "\x01\x7f control bytes",
                                           std::string(300, 'q')};
        std::string all_ascii;
        for (int c = 1; c < 128; ++c) all_ascii += static_cast<char>(c);
        plains.push_back(all_ascii);
        return plains;
    }

    static inline TempDir* work_ = nullptr;
    static inline fs::path htdocs_;
    static inline int requests_ = 0;
};

const std::vector<std::string> php_keys = {example_id, "short", "0123456789abcdef0123456789abcdef-longer-than-32"};

TEST_F(DolcryptPhp, WeDecryptWhatDolibarrEncrypts) {
    const auto plains = sample_plains();
    for (const auto& key : php_keys) {
        for (const std::string seed : {"", "dolibarr"}) {
            const auto answer = dolibarr(key, plains, {}, seed);
            ASSERT_EQ(answer["encrypted"].size(), plains.size());
            for (std::size_t i = 0; i < plains.size(); ++i) {
                const std::string stored = answer["encrypted"][i];
                if (!seed.empty()) {
                    EXPECT_EQ(stored.substr(21, 16), fixed_iv());
                }
                EXPECT_EQ(decrypt(stored, InstanceKey(key)), plains[i]) << stored;
            }
        }
    }
}

TEST_F(DolcryptPhp, DolibarrDecryptsWhatWeEncrypt) {
    const auto plains = sample_plains();
    for (const auto& key : php_keys) {
        std::vector<std::string> stored;
        for (const auto& plain : plains) stored.push_back(encrypt(plain, InstanceKey(key), random_iv()));
        for (const auto& plain : plains) stored.push_back(encrypt(plain, InstanceKey(key), fixed_iv()));
        const auto answer = dolibarr(key, {}, stored);
        ASSERT_EQ(answer["decrypted"].size(), stored.size());
        for (std::size_t i = 0; i < stored.size(); ++i) {
            EXPECT_EQ(unbase64(answer["decrypted"][i]), plains[i % plains.size()]) << stored[i];
        }
    }
}

TEST_F(DolcryptPhp, WeRefuseWhatDolibarrRefuses) {
    // Non-ASCII plain text and a wrong key: Dolibarr returns the stored text.
    const InstanceKey key(example_id), wrong("ffffffffffffffffffffffffffffffff");
    const std::vector<std::string> stored = {encrypt("caf\xc3\xa9", key, random_iv()),
                                             encrypt("a long enough secret to fail the check", key, random_iv())};
    const auto answer = dolibarr(std::string(wrong.bytes()), {}, {stored[1]});
    EXPECT_EQ(unbase64(answer["decrypted"][0]), stored[1]);
    EXPECT_EQ(decrypt(stored[1], wrong), std::nullopt);
    const auto own = dolibarr(example_id, {}, {stored[0]});
    EXPECT_EQ(unbase64(own["decrypted"][0]), stored[0]);
    EXPECT_EQ(decrypt(stored[0], key), std::nullopt);
}

TEST_F(DolcryptPhp, ConfPhpIsReadAsPhpReadsIt) {
    const std::vector<std::string> confs = {
        "<?php\n$dolibarr_main_instance_unique_id='" + example_id + "';\n",
        "<?php\n// $dolibarr_main_instance_unique_id='commented';\n# $dolibarr_main_instance_unique_id='hash';\n"
        "/* $dolibarr_main_instance_unique_id='block'; */\n$dolibarr_main_instance_unique_id = 'live';\n",
        "<?php $dolibarr_main_instance_unique_id='first'; $dolibarr_main_instance_unique_id=\"second\";",
        "<?php $dolibarr_main_instance_unique_id = 'it\\'s \\\\ \\n \\x41';",
        "<?php $dolibarr_main_instance_unique_id = \"a\\x41\\101\\t\\\\\\$\\\"\\u{e9}\\q'\\0\\400\\xZ\";",
        "<?php $dolibarr_main_instance_unique_id=''; $dolibarr_main_cookie_cryptkey='cookie';",
        "<?php $dolibarr_main_instance_unique_id='0'; $dolibarr_main_cookie_cryptkey=\"cookie\";",
        "text $dolibarr_main_instance_unique_id='html'; <?php $dolibarr_main_instance_unique_id='php' ?> "
        "$dolibarr_main_instance_unique_id='after';",
        "<?php $other = '$dolibarr_main_instance_unique_id = \\'in-a-string\\';'; $dolibarr_main_cookie_cryptkey='c';",
        "<?php $dolibarr_main_instance_unique_id='a' // comment ?>\n<?php $dolibarr_main_instance_unique_id='b' ?>",
        // What stays readable around the id (ConfPhp.KeepsReadingWhatRealConfFilesHold).
        "<?php\nif (!defined('NONE')) { $a = 1; }\nif (getenv('SANDBOXCTL_NONE')) $b = getenv('X');\n"
        "$dolibarr_main_instance_unique_id = 'top'; // include 'x.php';\n$GLOBALS['other'] = 'not the id';\n"
        "if (empty($dolibarr_main_instance_unique_id) || $dolibarr_main_instance_unique_id == 'x') {}\n",
    };
    const TempDir dir("sandboxctl-test-conf");
    for (std::size_t i = 0; i < confs.size(); ++i) {
        const fs::path file = dir.path() / ("conf" + std::to_string(i) + ".php");
        write_private_file(file, confs[i]);
        const auto php = run_checked({{"php", (php_dir() / "conf_key.php").string(), file.string()}, {}});
        ASSERT_NE(php.out, "NONE") << confs[i];
        EXPECT_EQ(key_of(confs[i]), unbase64(php.out)) << confs[i];
    }
}

}  // namespace
}  // namespace sandboxctl::dolibarr
