-- Argo CD health of a sealbridge SopsSecret. The controller sets Ready (a mirror of Synced), Stalled=True
-- when retrying will not fix a failure, and status.observedGeneration to the generation it acted on.
local hs = { status = "Progressing", message = "Waiting for the SopsSecret to be decrypted" }
if obj.status == nil or obj.metadata == nil then
  return hs
end
-- A condition written for an earlier generation says nothing about the current spec.
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the controller to observe generation " .. obj.metadata.generation
  return hs
end
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      local reason = condition.reason or ""
      local detail = condition.message or ""
      if detail == "" then
        detail = reason
      elseif reason ~= "" then
        detail = reason .. ": " .. detail
      end
      if condition.status == "True" then
        hs.status = "Healthy"
        hs.message = detail
      elseif condition.status == "False" then
        hs.status = "Degraded"
        hs.message = detail
      end
      return hs
    end
  end
end
return hs
