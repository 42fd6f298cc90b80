// Parse an iCalendar file with ical.js and print its events as JSON (for tests/feed).
// Usage: node parse_ics.cjs FILE
"use strict";
const fs = require("fs");
const ICAL = require("ical.js");

const text = fs.readFileSync(process.argv[2], "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    zone: event.startDate.zone ? event.startDate.zone.tzid : null,
    sequence: event.sequence,
    transp: vevent.getFirstPropertyValue("transp"),
    categories: vevent.getFirstPropertyValue("categories"),
  };
});
process.stdout.write(JSON.stringify({ name: calendar.getFirstPropertyValue("x-wr-calname"), events }));
