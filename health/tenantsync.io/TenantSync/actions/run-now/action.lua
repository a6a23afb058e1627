-- Run now: a new value of tenantsync.io/run-requested-at starts exactly one run in which every stream runs
-- (README "Run now"). The value is the current UTC time from Argo CD's sandboxed os.date, as
-- `date -u +%FT%TZ` would give it; two clicks in the same second make one run.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["tenantsync.io/run-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
