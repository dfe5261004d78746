-- Argo CD health of a ClusterSecretStore served by sealbridge (also right for ESO's). Like Argo CD's bundled
-- script it reads Ready; sealbridge also records status.observedGeneration (ESO does not), so a
-- Ready written for an earlier spec reads as Progressing instead of Healthy.
local hs = { status = "Progressing", message = "Waiting for the ClusterSecretStore to be validated" }
if obj.status == nil then
  return hs
end
if obj.status.observedGeneration ~= nil and obj.metadata ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the controller to observe generation " .. (obj.metadata.generation or "?")
  return hs
end
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" and condition.status == "True" then
      hs.status = "Healthy"
      hs.message = condition.message or ""
      return hs
    end
    if condition.type == "Ready" and condition.status == "False" then
      hs.status = "Degraded"
      hs.message = condition.message or ""
      return hs
    end
  end
end
return hs
