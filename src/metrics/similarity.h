#pragma once
// Similarity of two maps for the sanity checks (docs/spec.md §3 "Sanity checks"): the functions
// Quantus uses (quantus/functions/similarity_func.py correlation_spearman and ssim).
#include <opencv2/core.hpp>

namespace entcam {

// Spearman rank correlation of the maps' values (row-major), as scipy.stats.spearmanr:
// average ranks for ties, then the Pearson correlation of the ranks. NaN when exactly one map
// is constant (scipy's value: the correlation is undefined). When both are constant (e.g. two
// all-zero maps) both rankings are all ties, the same ranking, and the value is 1; scipy gives
// NaN there too, but a map that stays constant under randomisation did not change, and ssim()
// already says 1 for it.
double spearman(const cv::Mat& a, const cv::Mat& b);

// Mean SSIM as skimage.metrics.structural_similarity(a, b, data_range=R) with its defaults
// (skimage 0.19, metrics/_structural_similarity.py): 7x7 uniform window, K1 = 0.01,
// K2 = 0.03, sample covariance (N / (N - 1)), mean over the windows that lie wholly inside
// the image (its crop by 3 pixels), in float64. R = max(a, b) - min(a, b) as Quantus's ssim().
// When R = 0 the two maps are the same constant and the value is 1 (skimage divides 0 by 0).
// Throws InputError when a side is smaller than 7 or the sizes differ.
double ssim(const cv::Mat& a, const cv::Mat& b);

// Quantus's preprocessing of both maps for these checks (Metric abs=True, normalise=True with
// normalise_by_max): |a| / max|a| in float64 (an all-zero map stays zero).
cv::Mat abs_normalized_by_max(const cv::Mat& map);

}  // namespace entcam
