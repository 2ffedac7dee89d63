#include "masking/fake_values.hpp"

#include <array>

namespace sandboxctl::masking {

Draw::Draw(const Digest& digest) {
    for (int w = 0; w < 4; ++w) {
        std::uint64_t v = 0;
        for (int b = 0; b < 8; ++b) v = (v << 8) | digest[static_cast<std::size_t>(w * 8 + b)];
        words_[w] = v;
    }
    state_ = words_[0] ^ words_[1] ^ words_[2] ^ words_[3];
}

std::uint64_t Draw::next() {
    if (used_ < 4) return words_[used_++];
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

namespace words {
namespace {

constexpr std::array<std::string_view, 64> first_name_list = {
    "Ada",   "Alan",  "Alice", "Amir",  "Anna",  "Arno",  "Aurore", "Basile", "Bea",    "Boris", "Camille",
    "Carla", "Cyril", "Dalia", "Dario", "Elena", "Elias", "Emma",   "Enzo",   "Eva",    "Felix", "Flora",
    "Gael",  "Greta", "Hugo",  "Ines",  "Iris",  "Ivan",  "Jade",   "Jonas",  "Jules",  "Kara",  "Lea",
    "Leon",  "Lina",  "Luca",  "Maya",  "Milo",  "Nadia", "Nils",   "Nora",   "Oscar",  "Paula", "Pablo",
    "Rosa",  "Ruben", "Sacha", "Sofia", "Tara",  "Theo",  "Ugo",    "Vera",   "Victor", "Wanda", "Yann",
    "Zoe",   "Malo",  "Lise",  "Remi",  "Clara", "Noe",   "Mila",   "Timeo",  "Alba"};
constexpr std::array<std::string_view, 64> last_name_list = {
    "Abel",    "Arden",   "Barlow",  "Benoit",    "Brandt",  "Caron",  "Castel",  "Colin",   "Dalton",  "Delorme",
    "Durand",  "Evers",   "Farrow",  "Fischer",   "Garnier", "Gilles", "Hale",    "Hartman", "Ibarra",  "Jansen",
    "Keller",  "Lambert", "Laurent", "Lindqvist", "Marchal", "Meyer",  "Moreau",  "Nolan",   "Novak",   "Olsen",
    "Perrin",  "Petit",   "Quinn",   "Renard",    "Roche",   "Rossi",  "Sauvage", "Schmitt", "Serra",   "Tanner",
    "Tessier", "Ulrich",  "Vidal",   "Vogel",     "Wagner",  "Weber",  "Young",   "Zeller",  "Blanc",   "Brun",
    "Faure",   "Girard",  "Leroy",   "Mercier",   "Morel",   "Robin",  "Roux",    "Simon",   "Vincent", "Muller",
    "Bauer",   "Hoffman", "Kruger",  "Lopez"};
constexpr std::array<std::string_view, 32> company_adjective_list = {
    "Blue",   "Bright", "Cedar", "Clear",  "Coastal", "Copper", "Crystal", "Eastern", "Golden", "Granite", "Green",
    "Harbor", "Iron",   "Maple", "Meadow", "Modern",  "North",  "Oak",     "Pine",    "Prime",  "Quiet",   "Red",
    "River",  "Silver", "Solid", "Stone",  "Summit",  "Sunny",  "Swift",   "True",    "Valley", "West"};
constexpr std::array<std::string_view, 32> company_noun_list = {
    "Analytics", "Bakery",      "Builders", "Cargo",  "Consulting", "Design",  "Dynamics", "Electric",
    "Energy",    "Engineering", "Farms",    "Foods",  "Freight",    "Garden",  "Health",   "Industries",
    "Labs",      "Logistics",   "Machines", "Media",  "Metals",     "Optics",  "Partners", "Printing",
    "Robotics",  "Services",    "Software", "Studio", "Supply",     "Systems", "Textiles", "Tools"};
constexpr std::array<std::string_view, 8> company_suffix_list = {"SARL", "SAS", "GmbH", "Ltd", "Inc", "BV", "SA", "Co"};
constexpr std::array<std::string_view, 32> street_name_list = {
    "Acacia", "Alder",  "Aspen",    "Birch",   "Brook",   "Cherry",  "Chestnut", "Clover",
    "Elm",    "Fern",   "Hawthorn", "Hazel",   "Heather", "Juniper", "Larch",    "Laurel",
    "Lilac",  "Linden", "Magnolia", "Mill",    "Myrtle",  "Orchard", "Poplar",   "Quarry",
    "Rowan",  "Sorrel", "Spruce",   "Station", "Tulip",   "Walnut",  "Willow",   "Yew"};
constexpr std::array<std::string_view, 8> street_kind_list = {"Street", "Avenue", "Road",  "Lane",
                                                              "Way",    "Place",  "Court", "Square"};
constexpr std::array<std::string_view, 32> lorem_list = {
    "lorem",   "ipsum",        "dolor",   "sit",     "amet",       "consectetur", "adipiscing", "elit",
    "sed",     "do",           "eiusmod", "tempor",  "incididunt", "ut",          "labore",     "et",
    "dolore",  "magna",        "aliqua",  "enim",    "ad",         "minim",       "veniam",     "quis",
    "nostrud", "exercitation", "ullamco", "laboris", "nisi",       "aliquip",     "ex",         "commodo"};

}  // namespace

std::span<const std::string_view> first_names() { return first_name_list; }
std::span<const std::string_view> last_names() { return last_name_list; }
std::span<const std::string_view> company_adjectives() { return company_adjective_list; }
std::span<const std::string_view> company_nouns() { return company_noun_list; }
std::span<const std::string_view> company_suffixes() { return company_suffix_list; }
std::span<const std::string_view> street_names() { return street_name_list; }
std::span<const std::string_view> street_kinds() { return street_kind_list; }
std::span<const std::string_view> lorem() { return lorem_list; }

}  // namespace words
}  // namespace sandboxctl::masking
