// [dolibarr] mail: "disable" or "sink:HOST:PORT:ADDRESS", and the sandbox title.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "profiles/dolibarr/channels.hpp"
#include "profiles/dolibarr/firewall.hpp"

namespace sandboxctl::dolibarr {
namespace {

TEST(DolibarrMail, DisableHasNoSink) { EXPECT_FALSE(parse_mail_setting("disable").sink.has_value()); }

TEST(DolibarrMail, SinkIsHostPortAddress) {
    auto mail = parse_mail_setting("sink:mail-sink.local:2525:sink@sandbox.test");
    ASSERT_TRUE(mail.sink.has_value());
    EXPECT_EQ(mail.sink->host, "mail-sink.local");
    EXPECT_EQ(mail.sink->port, 2525);
    EXPECT_EQ(mail.sink->address, "sink@sandbox.test");
}

// Each malformed setting is a usage error (exit 2) whose message names the
// setting and says what is wrong, with the format in the hint.
void expect_rejected(const std::string& text, const std::string& reason) {
    try {
        parse_mail_setting(text);
        ADD_FAILURE() << text << " was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::usage) << text;
        EXPECT_NE(std::string(e.what()).find("dolibarr.mail \"" + text + "\""), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("sink:HOST:PORT:ADDRESS"), std::string::npos) << e.hint();
    }
}

TEST(DolibarrMail, MalformedSettingsAreUsageErrors) {
    expect_rejected("", "neither");
    expect_rejected("Disable", "neither");
    expect_rejected("smtp:localhost:25:a@b.test", "neither");
    expect_rejected("sink:localhost:25", "three parts");
    expect_rejected("sink:localhost:25:a@b.test:x", "three parts");
    expect_rejected("sink::25:a@b.test", "not a host name");
    expect_rejected("sink:local_host:25:a@b.test", "not a host name");
    expect_rejected("sink:localhost:smtp:a@b.test", "not a number");
    expect_rejected("sink:localhost::a@b.test", "not a number");
    expect_rejected("sink:localhost:0:a@b.test", "out of range");
    expect_rejected("sink:localhost:65536:a@b.test", "out of range");
    expect_rejected("sink:localhost:25:", "not one mail address");
    expect_rejected("sink:localhost:25:nobody", "not one mail address");
    expect_rejected("sink:localhost:25:a@b.test,c@d.test", "not one mail address");
    expect_rejected("sink:localhost:25:a b@c.test", "not one mail address");
}

// Dolibarr's SMTP client refuses IP addresses as the server.
TEST(DolibarrMail, IpAddressesAreRefused) {
    expect_rejected("sink:127.0.0.1:25:a@b.test", "is an IP address");
    expect_rejected("sink:127.1:25:a@b.test", "is an IP address");
    expect_rejected("sink:10.0.0.5:25:a@b.test", "is an IP address");
}

TEST(DolibarrTitle, MarksOnceAndNamesDolibarrWhenProdHasNoTitle) {
    EXPECT_EQ(sandbox_title(""), "SANDBOX - Dolibarr");
    EXPECT_EQ(sandbox_title("Acme ERP"), "SANDBOX - Acme ERP");
    EXPECT_EQ(sandbox_title("SANDBOX - Acme ERP"), "SANDBOX - Acme ERP");
}

}  // namespace
}  // namespace sandboxctl::dolibarr
