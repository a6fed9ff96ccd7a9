#!/usr/bin/python3
"""A minimal StatusNotifierWatcher (what a desktop's tray host provides) for tests.

Owns org.kde.StatusNotifierWatcher on the session bus, so libayatana registers Aviso's
tray item over D-Bus instead of falling back to an X tray window; every registration is
appended to the file named by argv[1] as "<bus name> <object path>". The test then reads
the item's icon through its properties. Needs Debian's python3-dbus and python3-gi (run
with /usr/bin/python3)."""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.kde.StatusNotifierWatcher"


class Watcher(dbus.service.Object):
    def __init__(self, bus, out):
        self.out = out
        self.items = []
        self.name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
        super().__init__(self.name, "/StatusNotifierWatcher")

    @dbus.service.method(IFACE, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # Items pass either their object path (ayatana) or their bus name (KDE).
        if service.startswith("/"):
            item = f"{sender} {service}"
        else:
            item = f"{service} /StatusNotifierItem"
        self.items.append(item)
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(item + "\n")
        self.StatusNotifierItemRegistered(item)

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        self.StatusNotifierHostRegistered()

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.signal(IFACE, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    def _props(self):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        return self._props()[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return self._props()


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    watcher = Watcher(dbus.SessionBus(), sys.argv[1])
    print("READY", flush=True)
    GLib.MainLoop().run()
    del watcher


if __name__ == "__main__":
    main()
