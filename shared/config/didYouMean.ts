import leven from 'leven';

/**
 * The candidate closest to a mistyped name (by edit distance), when it is close enough to be the
 * likely intent: at most two edits, or three for a long name. Used for "did you mean" in messages.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const limit = name.length >= 12 ? 3 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = leven(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name;
}

/** `; did you mean "x"?` when a candidate is close, else nothing. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const closest = closestName(name, candidates);
  return closest === undefined || closest === name ? '' : `; did you mean "${closest}"?`;
}
