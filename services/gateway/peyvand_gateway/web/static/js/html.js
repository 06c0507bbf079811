// One place that binds htm to Preact, so pages import `html` and hooks from here.
import { h, render, Fragment, createRef } from "../vendor/preact.module.js";
import { useState, useEffect, useRef, useMemo, useCallback, useLayoutEffect } from "../vendor/preact-hooks.module.js";
import htm from "../vendor/htm.module.js";

export const html = htm.bind(h);
export { h, render, Fragment, createRef, useState, useEffect, useRef, useMemo, useCallback, useLayoutEffect };
