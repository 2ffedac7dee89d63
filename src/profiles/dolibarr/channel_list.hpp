#pragma once
// Every outgoing channel of Dolibarr, declared once: its name, how the
// firewall switches it off, what the check counts as live, and the row
// docs/dolibarr.md shows for it. The firewall (firewall.cpp), the re-check
// and app-check (channels.cpp) and the docs table all come from this list,
// so a channel cannot be switched off without being checked, or checked
// without being documented (a unit test compares the docs table).
#include <string>
#include <vector>

namespace sandboxctl::dolibarr {

class Firewall;
class Checker;

struct ChannelDeclaration {
    const char* name;             // as reports and refusals name it
    const char* switched_off_by;  // the docs table's words
    const char* live_when;        // the docs table's words
    void (*off)(Firewall& firewall);
    void (*live)(Checker& check);
};

// In the order the firewall throws the switches.
const std::vector<ChannelDeclaration>& dolibarr_channels();

// The table of docs/dolibarr.md ("| channel | switched off by | live when |").
std::string channel_table();

}  // namespace sandboxctl::dolibarr
