#pragma once
// The full reset: the sandbox rebuilt from a snapshot's files through the
// steps of a refresh (rebuild::run), then change tracking and the golden
// cache, in one transaction.
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "maintenance/window.hpp"
#include "plan/session_setup.hpp"
#include "rebuild/steps.hpp"
#include "reset/reset.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/snapshot_rows.hpp"
#include "snapshot/store.hpp"

namespace sandboxctl::reset {

// What becomes of the golden cache: kept when it holds this very snapshot and
// its seal was intact (it belongs to the login and survives the clean), else
// built again.
enum class CacheUse { reuse_if_sound, rebuild };

// The snapshot's sequences, as the rebuild and the delta reset set them.
std::vector<rebuild::SequenceValue> sequence_values(const std::vector<snapshot::SequenceEntry>& sequences);

// Rebuilds the sandbox from `manifest`'s files and commits; `why` is the
// reason reported. A lock wait that times out names its holders through
// `window`'s control session.
// `table_reader`: where the tables' bytes come from (empty: the snapshot's files).
ResetResult full_reset(plan::Target& target, maintenance::Window& window, const config::Settings& settings,
                       const snapshot::Store& store, const snapshot::Manifest& manifest, std::string why,
                       CacheUse cache_use, const snapshot::TableReader& table_reader = {});

}  // namespace sandboxctl::reset
