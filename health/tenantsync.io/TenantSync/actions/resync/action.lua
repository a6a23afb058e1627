-- Re-sync: a new value of tenantsync.io/resync-requested-at (the current UTC time) resets the cursors named by
-- tenantsync.io/resync and starts a run (README "Re-sync"). The streams and time are those of that annotation
-- when it is set (e.g. "tickets@2024-01-01T00:00:00Z", kept in Git or set with kubectl); when it is not, every
-- stream is synced again from the start ("*").
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
local what = obj.metadata.annotations["tenantsync.io/resync"]
if what == nil or what == "" then
  obj.metadata.annotations["tenantsync.io/resync"] = "*"
end
obj.metadata.annotations["tenantsync.io/resync-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
