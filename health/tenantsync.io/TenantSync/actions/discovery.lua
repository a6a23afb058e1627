-- Argo CD resource actions of a tenantsync.io/TenantSync (Lua 5.1, as Argo CD's gopher-lua runs it; `obj` is
-- the resource). Each action edits only what `kubectl annotate` / `kubectl patch` would (README "Run now,
-- suspend, delete"); the operator does the rest.
local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
actions["run-now"] = {["disabled"] = false, ["iconClass"] = "fa fa-fw fa-play", ["displayName"] = "Run now"}
actions["suspend"] = {["disabled"] = suspended, ["iconClass"] = "fa fa-fw fa-pause", ["displayName"] = "Suspend"}
actions["resume"] = {["disabled"] = not suspended, ["iconClass"] = "fa fa-fw fa-play-circle", ["displayName"] = "Resume"}
actions["resync"] = {["disabled"] = false, ["iconClass"] = "fa fa-fw fa-history", ["displayName"] = "Re-sync"}
return actions
