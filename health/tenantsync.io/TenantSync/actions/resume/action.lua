-- Resume: scheduled runs start again (spec.suspend: false).
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.suspend = false
return obj
