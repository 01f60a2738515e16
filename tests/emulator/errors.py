"""ARM-shaped errors raised anywhere in the emulator (engine, hooks, actions).

The server turns an ``ArmError`` into ``{"error": {"code", "message", "target"?, "details"?}}``
with the given status and extra headers, exactly like ARM does.
"""


class ArmError(Exception):
    def __init__(self, status, code, message, details=None, headers=None, target=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = int(status)
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
        self.target = target

    def body(self):
        err = {"code": self.code, "message": self.message}
        if self.target:
            err["target"] = self.target
        if self.details:
            err["details"] = self.details
        return {"error": err}


def not_found(resource_type, name, resource_group=None):
    """ARM's 404 for a missing resource ("The Resource 'X/y/name' under resource group ...")."""
    if resource_group:
        msg = (f"The Resource '{resource_type}/{name}' under resource group "
               f"'{resource_group}' was not found. For more details please go to "
               "https://aka.ms/ARMResourceNotFoundFix")
    else:
        msg = f"The Resource '{resource_type}/{name}' was not found."
    return ArmError(404, "ResourceNotFound", msg)
