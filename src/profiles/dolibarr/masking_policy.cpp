#include "profiles/dolibarr/masking_policy.hpp"

#include <set>
#include <utility>

namespace sandboxctl::dolibarr {
namespace {

struct TablePolicy {
    const char* table;
    std::vector<std::pair<const char*, const char*>> masked;  // (column, transformer)
    std::vector<const char*> kept;  // the table's other text columns: nothing personal, or the profile's own
};

// Read from Dolibarr 22's schema (the fixture under ../shared/fixtures) and
// 23's (the columns it adds: vatexemptcode, access_hours, a member's
// birth_place):
// what identifies, locates or reaches a person is masked; codes, references,
// file names of generated documents, languages, currencies, zip codes and
// towns are kept. Passwords of prod users and members are emptied (null);
// their hashes are kept (the profile's kept users bring the sandbox's own
// logins); llx_user.api_key is the secrets step's (cleared or re-keyed).
const std::vector<TablePolicy>& personal() {
    static const std::vector<TablePolicy> tables = {
        // third parties (companies and individuals)
        {"llx_societe",
         {{"nom", "company"},          {"name_alias", "company"},
          {"address", "address"},      {"phone", "phone"},
          {"phone_mobile", "phone"},   {"fax", "phone"},
          {"email", "email"},          {"url", "fixed:https://example.invalid"},
          {"socialnetworks", "null"},  {"siren", "text"},
          {"siret", "text"},           {"idprof4", "text"},
          {"idprof5", "text"},         {"idprof6", "text"},
          {"tva_intra", "text"},       {"note_private", "text"},
          {"note_public", "text"},     {"ip", "null"},
          {"webservices_url", "null"}, {"webservices_key", "null"}},
         {"ref_ext",
          "code_client",
          "code_fournisseur",
          "tp_payment_reference",
          "accountancy_code_customer_general",
          "code_compta",
          "accountancy_code_supplier_general",
          "code_compta_fournisseur",
          "zip",
          "town",
          "georesultcode",
          "fk_currency",
          "ape",
          "model_pdf",
          "last_main_doc",
          "prefix_comm",
          "supplier_account",
          "fk_prospectlevel",
          "location_incoterms",
          "deposit_percent",
          "barcode",
          "default_lang",
          "logo",
          "logo_squarred",
          "canvas",
          "accountancy_code_sell",
          "accountancy_code_buy",
          "multicurrency_code",
          "import_key",
          "vatexemptcode"}},
        // contacts
        {"llx_socpeople",
         {{"lastname", "last_name"},
          {"firstname", "first_name"},
          {"name_alias", "name"},
          {"address", "address"},
          {"phone", "phone"},
          {"phone_perso", "phone"},
          {"phone_mobile", "phone"},
          {"fax", "phone"},
          {"email", "email"},
          {"url", "fixed:https://example.invalid"},
          {"socialnetworks", "null"},
          {"photo", "null"},
          {"note_private", "text"},
          {"note_public", "text"},
          {"ip", "null"},
          {"birthday", "null"}},
         {"ref_ext", "civility", "zip", "town", "georesultcode", "poste", "fk_prospectlevel", "default_lang", "canvas",
          "import_key"}},
        // users, but the kept ones
        {"llx_user",
         {{"login", "username"},
          {"lastname", "last_name"},
          {"firstname", "first_name"},
          {"email", "email"},
          {"personal_email", "email"},
          {"email_oauth2", "email"},
          {"office_phone", "phone"},
          {"office_fax", "phone"},
          {"user_mobile", "phone"},
          {"personal_mobile", "phone"},
          {"address", "address"},
          {"birth_place", "text"},
          {"signature", "text"},
          {"socialnetworks", "null"},
          {"national_registration_number", "text"},
          {"idpers1", "text"},
          {"idpers2", "text"},
          {"idpers3", "text"},
          {"note_public", "text"},
          {"note_private", "text"},
          {"iplastlogin", "null"},
          {"ippreviouslogin", "null"},
          {"ldap_sid", "null"},
          {"openid", "null"},
          {"photo", "null"},
          {"birth", "null"},
          {"pass", "null"},
          {"pass_temp", "null"}},
         {"ref_employee", "ref_ext", "pass_encoding", "pass_crypted", "api_key", "gender", "civility", "zip", "town",
          "job", "model_pdf", "last_main_doc", "lang", "color", "barcode", "accountancy_code_user_general",
          "accountancy_code", "import_key", "access_hours"}},
        // users' bank accounts
        {"llx_user_rib",
         {{"iban_prefix", "iban"},
          {"number", "text"},
          {"code_banque", "text"},
          {"code_guichet", "text"},
          {"cle_rib", "text"},
          {"proprio", "name"},
          {"owner_address", "address"}},
         {"label", "bank", "bic", "bic_intermediate", "domiciliation", "currency_code"}},
        // third parties' bank accounts and payment modes
        {"llx_societe_rib",
         {{"iban_prefix", "iban"},
          {"number", "text"},
          {"code_banque", "text"},
          {"code_guichet", "text"},
          {"cle_rib", "text"},
          {"cci", "text"},
          {"proprio", "name"},
          {"owner_address", "address"},
          {"email", "email"},
          {"online_sign_name", "name"},
          {"online_sign_ip", "null"},
          {"ipaddress", "null"},
          {"stripe_card_ref", "null"},
          {"stripe_account", "null"},
          {"preapproval_key", "null"},
          {"cvn", "null"},
          {"last_four", "text"},
          {"comment", "text"}},
         {"type", "label", "bank", "bic", "bic_intermediate", "domiciliation", "currency_code", "model_pdf",
          "last_main_doc", "rum", "frstrecur", "card_type", "country_code", "ext_payment_site", "extraparams",
          "import_key"}},
        // third parties' accounts on websites and payment services
        {"llx_societe_account",
         {{"login", "username"},
          {"pass_temp", "null"},
          {"site_account", "text"},
          {"key_account", "null"},
          {"note_private", "text"},
          {"ip", "null"}},
         {"pass_encoding", "pass_crypted", "site", "import_key"}},
        // members
        {"llx_adherent",
         {{"lastname", "last_name"},
          {"firstname", "first_name"},
          {"login", "username"},
          {"pass", "null"},
          {"societe", "company"},
          {"address", "address"},
          {"email", "email"},
          {"url", "fixed:https://example.invalid"},
          {"socialnetworks", "null"},
          {"phone", "phone"},
          {"phone_perso", "phone"},
          {"phone_mobile", "phone"},
          {"photo", "null"},
          {"note_private", "text"},
          {"note_public", "text"},
          {"ip", "null"},
          {"birth", "null"},
          {"birth_place", "text"}},
         {"ref", "ref_ext", "gender", "civility", "pass_crypted", "morphy", "zip", "town", "default_lang", "model_pdf",
          "canvas", "import_key"}},
        // agenda events (the addresses of e-mails they record)
        {"llx_actioncomm",
         {{"email_from", "email"},
          {"email_sender", "email"},
          {"email_to", "email"},
          {"email_tocc", "email"},
          {"email_tobcc", "email"},
          {"errors_to", "email"},
          {"reply_to", "email"},
          {"note", "text"},
          {"ip", "null"}},
         {"ref", "ref_ext", "code", "visibility", "location", "label", "email_subject", "email_msgid", "recurid",
          "recurrule", "elementtype", "import_key", "extraparams"}},
        // unsubscribed addresses
        {"llx_mailing_unsubscribe", {{"email", "email"}, {"ip", "null"}}, {"unsubscribegroup"}},
    };
    return tables;
}

}  // namespace

std::vector<std::string> masking_policies() { return {"personal"}; }

std::vector<masking::Rule> masking_rules(const std::string& policy, const std::vector<std::string>& keep_users) {
    std::vector<masking::Rule> rules;
    if (policy != "personal") return rules;
    for (const auto& table : personal()) {
        masking::Rule rule{std::string("public.") + table.table, {}, "[dolibarr] masking = \"personal\"", true, {}};
        for (const auto& [column, transformer] : table.masked) rule.columns.emplace_back(column, transformer);
        for (const auto* column : table.kept) rule.columns.emplace_back(column, "keep");
        if (std::string_view(table.table) == "llx_user" && !keep_users.empty()) {
            rule.except = masking::RowException{"login", {keep_users.begin(), keep_users.end()}, "kept users"};
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

}  // namespace sandboxctl::dolibarr
