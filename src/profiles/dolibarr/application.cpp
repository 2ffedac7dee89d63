#include "profiles/dolibarr/application.hpp"

#include <fmt/format.h>

#include <optional>

#include "core/error.hpp"
#include "profiles/dolibarr/channels.hpp"
#include "profiles/dolibarr/masking_policy.hpp"
#include "profiles/dolibarr/profile.hpp"
#include "profiles/dolibarr/settings.hpp"

namespace sandboxctl::dolibarr {
namespace {

class DolibarrApplication final : public profiles::Application {
public:
    // Without settings: detected by app-check, never rebuilt.
    explicit DolibarrApplication(std::optional<DolibarrSettings> settings) : settings_(std::move(settings)) {
        if (settings_) mail_ = parse_mail_setting(settings_->mail);
    }

    std::string_view name() const override { return "dolibarr"; }

    std::vector<masking::Rule> masking_rules() const override {
        if (!settings_) return {};
        return dolibarr::masking_rules(settings_->masking, settings_->keep_users);
    }

    std::unique_ptr<profiles::Profile> open(profiles::Use use) const override {
        if (!settings_) throw failure("the Dolibarr profile needs its [dolibarr] section to rebuild a sandbox");
        return std::make_unique<DolibarrProfile>(
            *settings_, use == profiles::Use::refresh ? ProfileMode::refresh : ProfileMode::reset);
    }

    std::vector<profiles::LiveChannel> live_channels(pg::Connection& conn) const override {
        return dolibarr::live_channels(conn, mail_);
    }

    std::string rule() const override {
        if (!mail_) {
            return "mail checked against: no [dolibarr] mail setting: disabled, or forced to one recipient with no "
                   "per-context send mode";
        }
        if (!mail_->sink) return "mail checked against: dolibarr.mail = \"disable\": disabled";
        const auto& sink = *mail_->sink;
        return fmt::format("mail checked against: dolibarr.mail: disabled, or forced to the sink {}:{} and {}",
                           sink.host, sink.port, sink.address);
    }

    // The profile reads both instance ids and refuses what a refresh would
    // refuse (the same id on both sides): doctor says so first.
    std::vector<safety::Check> checks() const override {
        if (!settings_) return {};
        safety::Check check{"Dolibarr instance ids are readable and differ", safety::Status::pass,
                            settings_->prod_conf.empty()
                                ? "the sandbox's conf.php is read (no prod_conf)"
                                : "the sandbox's and prod's conf.php are read; their ids differ"};
        try {
            DolibarrProfile profile(*settings_, ProfileMode::refresh);
        } catch (const Error& e) {
            check.status = safety::Status::fail;
            check.reason = e.what();
        }
        return {check};
    }

private:
    std::optional<DolibarrSettings> settings_;
    std::optional<MailSetting> mail_;
};

}  // namespace

std::unique_ptr<profiles::Application> parse_application(const config::Section& section) {
    return std::make_unique<DolibarrApplication>(parse_settings(section));
}

std::unique_ptr<profiles::Application> detect_application(pg::Connection& conn) {
    if (!DolibarrTables::present(conn)) return nullptr;
    return std::make_unique<DolibarrApplication>(std::nullopt);
}

}  // namespace sandboxctl::dolibarr
