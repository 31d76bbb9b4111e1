// Placeholder owned by the screening engineer: planner conflicts list, draw/upload screening,
// investor site finder. The context object is documented at the top of static/js/main.js.
export function initTools(ctx) {}
