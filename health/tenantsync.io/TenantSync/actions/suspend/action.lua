-- Suspend: no new scheduled runs (spec.suspend: true); a run in progress finishes.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.suspend = true
return obj
