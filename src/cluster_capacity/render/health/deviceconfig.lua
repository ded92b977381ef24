-- Argo CD health of the AWS Neuron operator's DeviceConfig (k8s.aws/v1beta1): driver and device plugin
-- available on every node they are desired on (0 of 0 included: no Neuron node yet is fine).
-- Custom checks run without the string library: only base functions, table and `..` here.
local hs = {}
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Neuron operator to report the DeviceConfig's status"
  return hs
end

local parts = {}
local converging = false
for _, name in ipairs({"driver", "devicePlugin"}) do
  local part = obj.status[name]
  if part == nil then
    converging = true
    table.insert(parts, name .. ": no status yet")
  else
    local desired = part.desiredNumber or 0
    local available = part.availableNumber or 0
    if available < desired then
      converging = true
    end
    table.insert(parts, name .. " " .. available .. "/" .. desired)
  end
end

if converging then
  hs.status = "Progressing"
else
  hs.status = "Healthy"
end
hs.message = table.concat(parts, ", ")
return hs
