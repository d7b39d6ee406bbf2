import { RefObject, useLayoutEffect, useRef, useState } from 'react';

/**
 * The width of an element, followed with a ResizeObserver; `fallback` until
 * it is laid out (and where layout does not exist, as in jsdom).
 */
export function useWidth<T extends HTMLElement>(
  fallback: number,
): [RefObject<T>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const measure = () =>
      setWidth(Math.floor(element.getBoundingClientRect().width));
    measure();
    if (typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width > 0 ? width : fallback];
}
