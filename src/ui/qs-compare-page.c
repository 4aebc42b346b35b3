/* qs-compare-page.c: compares baseline renders with quantized renders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "qs-compare-page.h"
#include "qs-ui-util.h"

/* One compared pair */

struct _QsComparePair
{
  GObject         parent_instance;

  char           *name;
  char           *baseline_path;
  char           *quantized_path;
  QsImageMetrics  metrics;
  char           *error;
};

G_DEFINE_FINAL_TYPE (QsComparePair, qs_compare_pair, G_TYPE_OBJECT)

static void
qs_compare_pair_finalize (GObject *object)
{
  QsComparePair *self = QS_COMPARE_PAIR (object);

  g_free (self->name);
  g_free (self->baseline_path);
  g_free (self->quantized_path);
  g_free (self->error);

  G_OBJECT_CLASS (qs_compare_pair_parent_class)->finalize (object);
}

static void
qs_compare_pair_class_init (QsComparePairClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qs_compare_pair_finalize;
}

static void
qs_compare_pair_init (QsComparePair *self)
{
}

const char *
qs_compare_pair_get_name (QsComparePair *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAIR (self), NULL);
  return self->name;
}

const char *
qs_compare_pair_get_baseline_path (QsComparePair *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAIR (self), NULL);
  return self->baseline_path;
}

const char *
qs_compare_pair_get_quantized_path (QsComparePair *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAIR (self), NULL);
  return self->quantized_path;
}

const QsImageMetrics *
qs_compare_pair_get_metrics (QsComparePair *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAIR (self), NULL);
  return self->error == NULL ? &self->metrics : NULL;
}

const char *
qs_compare_pair_get_error (QsComparePair *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAIR (self), NULL);
  return self->error;
}

/* The swipe view: the quantized image left of a movable line, the
 * baseline right of it, both fitted into the widget the same way. */

#define QS_TYPE_SWIPE_VIEW (qs_swipe_view_get_type ())

G_DECLARE_FINAL_TYPE (QsSwipeView, qs_swipe_view, QS, SWIPE_VIEW, GtkWidget)

struct _QsSwipeView
{
  GtkWidget       parent_instance;

  GdkTexture     *baseline;
  GdkTexture     *quantized;
  GtkAdjustment  *adjustment;
};

G_DEFINE_FINAL_TYPE (QsSwipeView, qs_swipe_view, GTK_TYPE_WIDGET)

static void
qs_swipe_view_get_image_rect (QsSwipeView     *self,
                              graphene_rect_t *rect)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double image_width = gdk_texture_get_width (self->baseline);
  double image_height = gdk_texture_get_height (self->baseline);
  double scale = MIN (width / image_width, height / image_height);

  graphene_rect_init (rect, (width - image_width * scale) / 2,
                      (height - image_height * scale) / 2,
                      image_width * scale, image_height * scale);
}

static void
qs_swipe_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  QsSwipeView *self = QS_SWIPE_VIEW (widget);
  graphene_rect_t rect;
  graphene_rect_t clip;
  double position;
  GdkRGBA line = { 1, 1, 1, 0.9 };

  if (self->baseline == NULL || self->quantized == NULL)
    return;

  qs_swipe_view_get_image_rect (self, &rect);
  position = self->adjustment != NULL ? gtk_adjustment_get_value (self->adjustment) : 0.5;

  gtk_snapshot_append_texture (snapshot, self->baseline, &rect);

  graphene_rect_init (&clip, rect.origin.x, rect.origin.y, rect.size.width * position,
                      rect.size.height);
  gtk_snapshot_push_clip (snapshot, &clip);
  gtk_snapshot_append_texture (snapshot, self->quantized, &rect);
  gtk_snapshot_pop (snapshot);

  gtk_snapshot_append_color (snapshot, &line,
                             &GRAPHENE_RECT_INIT (rect.origin.x + rect.size.width * position - 1,
                                                  rect.origin.y, 2, rect.size.height));
}

static void
qs_swipe_view_move_to (QsSwipeView *self,
                       double       x)
{
  graphene_rect_t rect;

  if (self->baseline == NULL || self->adjustment == NULL)
    return;

  qs_swipe_view_get_image_rect (self, &rect);
  if (rect.size.width > 0)
    gtk_adjustment_set_value (self->adjustment, (x - rect.origin.x) / rect.size.width);
}

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               QsSwipeView    *self)
{
  qs_swipe_view_move_to (self, x);
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                QsSwipeView    *self)
{
  double start_x = 0;

  gtk_gesture_drag_get_start_point (gesture, &start_x, NULL);
  qs_swipe_view_move_to (self, start_x + dx);
}

static void
qs_swipe_view_dispose (GObject *object)
{
  QsSwipeView *self = QS_SWIPE_VIEW (object);

  g_clear_object (&self->baseline);
  g_clear_object (&self->quantized);
  if (self->adjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->adjustment, self);
  g_clear_object (&self->adjustment);

  G_OBJECT_CLASS (qs_swipe_view_parent_class)->dispose (object);
}

static void
qs_swipe_view_class_init (QsSwipeViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = qs_swipe_view_dispose;
  GTK_WIDGET_CLASS (klass)->snapshot = qs_swipe_view_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "swipeview");
}

static void
qs_swipe_view_init (QsSwipeView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();

  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

static void
qs_swipe_view_set_adjustment (QsSwipeView   *self,
                              GtkAdjustment *adjustment)
{
  g_set_object (&self->adjustment, adjustment);
  g_signal_connect_swapped (adjustment, "value-changed",
                            G_CALLBACK (gtk_widget_queue_draw), self);
}

static void
qs_swipe_view_set_textures (QsSwipeView *self,
                            GdkTexture  *baseline,
                            GdkTexture  *quantized)
{
  g_set_object (&self->baseline, baseline);
  g_set_object (&self->quantized, quantized);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The page */

typedef enum
{
  SLOT_BASELINE,
  SLOT_QUANTIZED,
  N_SLOTS
} Slot;

typedef enum
{
  COLUMN_NAME,
  COLUMN_PSNR,
  COLUMN_SSIM,
  COLUMN_MAE,
  COLUMN_MAX_DIFF,
  N_COLUMNS
} Column;

struct _QsComparePage
{
  GtkWidget           parent_instance;

  AdwActionRow       *baseline_row;
  AdwActionRow       *quantized_row;
  GtkWidget          *export_button;
  GtkStack           *list_stack;
  GtkSpinner         *spinner;
  AdwStatusPage      *empty_status;
  GtkColumnView      *column_view;
  GtkWidget          *unmatched_box;
  GtkListBox         *unmatched_list;
  GtkLabel           *pair_label;
  GtkStack           *view_stack;
  GtkPicture         *baseline_picture;
  GtkPicture         *quantized_picture;
  QsSwipeView        *swipe_view;
  GtkAdjustment      *swipe_adjustment;
  GtkPicture         *heatmap_picture;
  GtkLabel           *metrics_label;

  GFile              *inputs[N_SLOTS];
  GListStore         *pairs;
  GtkStringList      *unmatched;
  GtkSingleSelection *selection;
  GCancellable       *cancellable;
  GCancellable       *heatmap_cancellable;
  char               *temp_dir;
  guint               n_heatmaps;
  gboolean            busy;
  gboolean            has_heatmap;
};

G_DEFINE_FINAL_TYPE (QsComparePage, qs_compare_page, GTK_TYPE_WIDGET)

static void
show_toast (QsComparePage *self,
            const char    *message)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", message);
}

/* Computing the pairs */

typedef struct
{
  char *baseline;
  char *quantized;
} CompareInput;

typedef struct
{
  GPtrArray *pairs;
  GPtrArray *unmatched;
} CompareOutput;

static void
compare_input_free (CompareInput *input)
{
  g_free (input->baseline);
  g_free (input->quantized);
  g_free (input);
}

static void
compare_output_free (CompareOutput *output)
{
  g_ptr_array_unref (output->pairs);
  g_ptr_array_unref (output->unmatched);
  g_free (output);
}

static int
compare_by_ssim (gconstpointer a,
                 gconstpointer b)
{
  const QsComparePair *pair_a = *(QsComparePair * const *) a;
  const QsComparePair *pair_b = *(QsComparePair * const *) b;

  if (pair_a->metrics.ssim < pair_b->metrics.ssim)
    return -1;
  if (pair_a->metrics.ssim > pair_b->metrics.ssim)
    return 1;
  return strcmp (pair_a->name, pair_b->name);
}

static void
compare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  CompareInput *input = task_data;
  g_autoptr(QsImagePairing) pairing = NULL;
  CompareOutput *output;
  GError *error = NULL;

  pairing = qs_image_pairing_new (input->baseline, input->quantized, &error);
  if (pairing == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  output = g_new0 (CompareOutput, 1);
  output->pairs = g_ptr_array_new_with_free_func (g_object_unref);
  output->unmatched = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < pairing->pairs->len; i++)
    {
      const QsImagePair *image_pair = g_ptr_array_index (pairing->pairs, i);
      g_autoptr(QsImage) baseline = NULL;
      g_autoptr(QsImage) quantized = NULL;
      g_autoptr(GError) pair_error = NULL;
      QsComparePair *pair;

      if (g_cancellable_is_cancelled (cancellable))
        break;

      pair = g_object_new (QS_TYPE_COMPARE_PAIR, NULL);
      pair->name = g_strdup (image_pair->name);
      pair->baseline_path = g_strdup (image_pair->baseline_path);
      pair->quantized_path = g_strdup (image_pair->quantized_path);

      baseline = qs_image_load (image_pair->baseline_path, &pair_error);
      if (baseline != NULL)
        quantized = qs_image_load (image_pair->quantized_path, &pair_error);
      if (quantized != NULL)
        qs_image_metrics_compute (&pair->metrics, baseline, quantized, &pair_error);

      if (pair_error != NULL)
        {
          /* Translators: %s is an image file name, then the reason */
          g_ptr_array_add (output->unmatched,
                           g_strdup_printf (_("Not compared: %s"), pair_error->message));
          g_object_unref (pair);
          continue;
        }
      g_ptr_array_add (output->pairs, pair);
    }

  for (guint i = 0; i < pairing->baseline_only->len; i++)
    /* Translators: %s is an image file name */
    g_ptr_array_add (output->unmatched,
                     g_strdup_printf (_("Only in the baseline: %s"),
                                      (const char *) g_ptr_array_index (pairing->baseline_only, i)));
  for (guint i = 0; i < pairing->quantized_only->len; i++)
    /* Translators: %s is an image file name */
    g_ptr_array_add (output->unmatched,
                     g_strdup_printf (_("Only in the quantized renders: %s"),
                                      (const char *) g_ptr_array_index (pairing->quantized_only, i)));

  g_ptr_array_sort (output->pairs, compare_by_ssim);

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      compare_output_free (output);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, output, (GDestroyNotify) compare_output_free);
}

static void
update_list_page (QsComparePage *self)
{
  gboolean has_inputs = self->inputs[SLOT_BASELINE] != NULL && self->inputs[SLOT_QUANTIZED] != NULL;
  guint n_pairs = g_list_model_get_n_items (G_LIST_MODEL (self->pairs));
  guint n_unmatched = g_list_model_get_n_items (G_LIST_MODEL (self->unmatched));

  gtk_spinner_set_spinning (self->spinner, self->busy);
  if (self->busy)
    gtk_stack_set_visible_child_name (self->list_stack, "busy");
  else if (has_inputs && (n_pairs > 0 || n_unmatched > 0))
    gtk_stack_set_visible_child_name (self->list_stack, "list");
  else
    gtk_stack_set_visible_child_name (self->list_stack, "empty");

  gtk_widget_set_visible (self->unmatched_box, n_unmatched > 0);
  gtk_widget_set_sensitive (self->export_button, !self->busy && n_pairs > 0);
}

static void
clear_results (QsComparePage *self)
{
  g_list_store_remove_all (self->pairs);
  gtk_string_list_splice (self->unmatched, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->unmatched)), NULL);
}

static void
compare_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  QsComparePage *self;
  CompareOutput *output;
  g_autoptr(GError) error = NULL;

  output = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = QS_COMPARE_PAGE (object);
  self->busy = FALSE;
  g_clear_object (&self->cancellable);
  clear_results (self);

  if (output == NULL)
    {
      adw_status_page_set_title (self->empty_status, _("Nothing to Compare"));
      adw_status_page_set_description (self->empty_status, error->message);
      show_toast (self, error->message);
      update_list_page (self);
      return;
    }

  g_list_store_splice (self->pairs, 0, 0, output->pairs->pdata, output->pairs->len);
  for (guint i = 0; i < output->unmatched->len; i++)
    gtk_string_list_append (self->unmatched, g_ptr_array_index (output->unmatched, i));
  compare_output_free (output);

  update_list_page (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->pairs)) > 0)
    qs_compare_page_select (self, 0);
}

static void
start_compare (QsComparePage *self)
{
  g_autoptr(GTask) task = NULL;
  CompareInput *input;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear_results (self);

  if (self->inputs[SLOT_BASELINE] == NULL || self->inputs[SLOT_QUANTIZED] == NULL)
    {
      self->busy = FALSE;
      update_list_page (self);
      return;
    }

  input = g_new0 (CompareInput, 1);
  input->baseline = g_file_get_path (self->inputs[SLOT_BASELINE]);
  input->quantized = g_file_get_path (self->inputs[SLOT_QUANTIZED]);
  if (input->baseline == NULL || input->quantized == NULL)
    {
      compare_input_free (input);
      show_toast (self, _("Only local folders and files can be compared"));
      update_list_page (self);
      return;
    }

  self->busy = TRUE;
  self->cancellable = g_cancellable_new ();
  update_list_page (self);

  task = g_task_new (self, self->cancellable, compare_done_cb, NULL);
  g_task_set_task_data (task, input, (GDestroyNotify) compare_input_free);
  g_task_run_in_thread (task, compare_thread);
}

/* The selected pair */

static void
heatmap_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  char **paths = task_data;
  g_autoptr(QsImage) baseline = NULL;
  g_autoptr(QsImage) quantized = NULL;
  GError *error = NULL;

  baseline = qs_image_load (paths[0], &error);
  if (baseline != NULL)
    quantized = qs_image_load (paths[1], &error);
  if (quantized == NULL || !qs_image_write_diff_heatmap (baseline, quantized, paths[2], &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
heatmap_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  QsComparePage *self;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (QS_COMPARE_PAGE (object), error->message);
      return;
    }

  self = QS_COMPARE_PAGE (object);
  texture = gdk_texture_new_from_filename (path, &error);
  /* The texture holds the pixels, so the file is no longer needed. */
  g_unlink (path);
  if (texture == NULL)
    {
      show_toast (self, error->message);
      return;
    }
  gtk_picture_set_paintable (self->heatmap_picture, GDK_PAINTABLE (texture));
  self->has_heatmap = TRUE;
}

static char *
format_metrics (const QsImageMetrics *metrics)
{
  g_autofree char *psnr = isinf (metrics->psnr) ? g_strdup (_("∞ (identical)"))
                                                : g_strdup_printf ("%.2f dB", metrics->psnr);

  /* Translators: the metrics of the selected image pair */
  return g_strdup_printf (_("PSNR %s   SSIM %.4f   MAE %.3f (R %.3f, G %.3f, B %.3f)   max difference %u"),
                          psnr, metrics->ssim, metrics->mae, metrics->mae_channel[0],
                          metrics->mae_channel[1], metrics->mae_channel[2], metrics->max_diff);
}

static void
show_pair (QsComparePage *self,
           QsComparePair *pair)
{
  g_autoptr(GdkTexture) baseline = NULL;
  g_autoptr(GdkTexture) quantized = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *metrics = NULL;
  g_autofree char *heatmap_name = NULL;
  char **paths;

  if (self->heatmap_cancellable != NULL)
    g_cancellable_cancel (self->heatmap_cancellable);
  g_clear_object (&self->heatmap_cancellable);
  self->has_heatmap = FALSE;
  gtk_picture_set_paintable (self->heatmap_picture, NULL);

  if (pair == NULL)
    {
      gtk_label_set_text (self->pair_label, "");
      gtk_label_set_text (self->metrics_label, "");
      gtk_picture_set_paintable (self->baseline_picture, NULL);
      gtk_picture_set_paintable (self->quantized_picture, NULL);
      qs_swipe_view_set_textures (self->swipe_view, NULL, NULL);
      return;
    }

  gtk_label_set_text (self->pair_label, pair->name);
  metrics = format_metrics (&pair->metrics);
  gtk_label_set_text (self->metrics_label, metrics);

  baseline = gdk_texture_new_from_filename (pair->baseline_path, &error);
  if (baseline != NULL)
    quantized = gdk_texture_new_from_filename (pair->quantized_path, &error);
  if (quantized == NULL)
    {
      show_toast (self, error->message);
      return;
    }
  gtk_picture_set_paintable (self->baseline_picture, GDK_PAINTABLE (baseline));
  gtk_picture_set_paintable (self->quantized_picture, GDK_PAINTABLE (quantized));
  qs_swipe_view_set_textures (self->swipe_view, baseline, quantized);

  if (self->temp_dir == NULL)
    {
      self->temp_dir = g_dir_make_tmp ("quantscope-compare-XXXXXX", &error);
      if (self->temp_dir == NULL)
        {
          show_toast (self, error->message);
          return;
        }
    }

  heatmap_name = g_strdup_printf ("heatmap-%u.png", self->n_heatmaps++);
  paths = g_new0 (char *, 4);
  paths[0] = g_strdup (pair->baseline_path);
  paths[1] = g_strdup (pair->quantized_path);
  paths[2] = g_build_filename (self->temp_dir, heatmap_name, NULL);

  self->heatmap_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->heatmap_cancellable, heatmap_done_cb, g_strdup (paths[2]));
  g_task_set_task_data (task, paths, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, heatmap_thread);
}

static void
selection_changed_cb (QsComparePage *self)
{
  show_pair (self, gtk_single_selection_get_selected_item (self->selection));
}

/* Table cells */

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), column == COLUMN_NAME ? 0 : 1);
  if (column == COLUMN_NAME)
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  else
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  QsComparePair *pair = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;

  switch (column)
    {
    case COLUMN_NAME:
      text = g_strdup (pair->name);
      break;
    case COLUMN_PSNR:
      text = isinf (pair->metrics.psnr) ? g_strdup ("∞") : g_strdup_printf ("%.2f", pair->metrics.psnr);
      break;
    case COLUMN_SSIM:
      text = g_strdup_printf ("%.4f", pair->metrics.ssim);
      break;
    case COLUMN_MAE:
      text = g_strdup_printf ("%.3f", pair->metrics.mae);
      break;
    case COLUMN_MAX_DIFF:
      text = g_strdup_printf ("%u", pair->metrics.max_diff);
      break;
    default:
      g_assert_not_reached ();
    }
  gtk_label_set_text (label, text);
}

static void
add_column (QsComparePage *self,
            const char    *title,
            Column         column)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), GUINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), GUINT_TO_POINTER (column));
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (view_column, column == COLUMN_NAME);
  gtk_column_view_append_column (self->column_view, view_column);
  g_object_unref (view_column);
}

static GtkWidget *
unmatched_row_new (gpointer item,
                   gpointer user_data)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped = g_markup_escape_text (gtk_string_object_get_string (item), -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_add_css_class (row, "property");

  return row;
}

/* Inputs */

static void
set_input (QsComparePage *self,
           Slot           slot,
           GFile         *file)
{
  AdwActionRow *row = slot == SLOT_BASELINE ? self->baseline_row : self->quantized_row;

  if (file != NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);

      adw_action_row_set_subtitle (row, name);
    }
  else
    adw_action_row_set_subtitle (row, _("Choose or drop a folder of renders or one image"));

  g_set_object (&self->inputs[slot], file);
}

typedef struct
{
  QsComparePage *page;
  Slot           slot;
} ChooserData;

static void
chooser_response_cb (GtkNativeDialog *native,
                     int              response,
                     ChooserData     *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));

      set_input (data->page, data->slot, file);
      start_compare (data->page);
    }
  g_object_unref (data->page);
  g_free (data);
  g_object_unref (native);
}

static void
choose_input (QsComparePage        *self,
              Slot                  slot,
              GtkFileChooserAction  action)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *title;
  GtkFileChooserNative *native;
  ChooserData *data = g_new0 (ChooserData, 1);

  if (action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER)
    title = slot == SLOT_BASELINE ? _("Choose the Baseline Renders") : _("Choose the Quantized Renders");
  else
    title = slot == SLOT_BASELINE ? _("Choose the Baseline Image") : _("Choose the Quantized Image");

  native = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        action, _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("PNG, JPEG and WebP images"));
      gtk_file_filter_add_suffix (filter, "png");
      gtk_file_filter_add_suffix (filter, "jpg");
      gtk_file_filter_add_suffix (filter, "jpeg");
      gtk_file_filter_add_suffix (filter, "webp");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }

  data->page = g_object_ref (self);
  data->slot = slot;
  g_signal_connect (native, "response", G_CALLBACK (chooser_response_cb), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
baseline_folder_clicked_cb (QsComparePage *self)
{
  choose_input (self, SLOT_BASELINE, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
baseline_file_clicked_cb (QsComparePage *self)
{
  choose_input (self, SLOT_BASELINE, GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
quantized_folder_clicked_cb (QsComparePage *self)
{
  choose_input (self, SLOT_QUANTIZED, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
quantized_file_clicked_cb (QsComparePage *self)
{
  choose_input (self, SLOT_QUANTIZED, GTK_FILE_CHOOSER_ACTION_OPEN);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         QsComparePage *self)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  Slot slot = widget == GTK_WIDGET (self->baseline_row) ? SLOT_BASELINE : SLOT_QUANTIZED;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;

  set_input (self, slot, g_value_get_object (value));
  start_compare (self);

  return TRUE;
}

static void
add_drop_target (QsComparePage *self,
                 GtkWidget     *row)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);

  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));
}

/* Export */

static void
export_response_cb (GtkNativeDialog *native,
                    int              response,
                    QsComparePage   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL)
        show_toast (self, _("The CSV file must be a local file"));
      else if (!qs_compare_page_export_csv (self, path, &error))
        show_toast (self, error->message);
      else
        {
          g_autofree char *basename = g_path_get_basename (path);
          /* Translators: a toast; %s is a file name */
          g_autofree char *message = g_strdup_printf (_("Saved %s"), basename);

          show_toast (self, message);
        }
    }
  g_object_unref (self);
  g_object_unref (native);
}

static void
export_clicked_cb (QsComparePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Export the Image Metrics"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "image-metrics.csv");
  g_signal_connect (native, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* Object */

static void
qs_compare_page_dispose (GObject *object)
{
  QsComparePage *self = QS_COMPARE_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->heatmap_cancellable != NULL)
    g_cancellable_cancel (self->heatmap_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->heatmap_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_COMPARE_PAGE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  for (guint i = 0; i < N_SLOTS; i++)
    g_clear_object (&self->inputs[i]);
  g_clear_object (&self->selection);
  g_clear_object (&self->pairs);
  g_clear_object (&self->unmatched);

  G_OBJECT_CLASS (qs_compare_page_parent_class)->dispose (object);
}

static void
qs_compare_page_finalize (GObject *object)
{
  QsComparePage *self = QS_COMPARE_PAGE (object);

  /* Heatmaps are unlinked once loaded, so only an empty folder or a file
   * of a cancelled task can be left. */
  if (self->temp_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (self->temp_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (self->temp_dir, name, NULL);

          g_unlink (path);
        }
      g_rmdir (self->temp_dir);
    }
  g_free (self->temp_dir);

  G_OBJECT_CLASS (qs_compare_page_parent_class)->finalize (object);
}

static void
qs_compare_page_class_init (QsComparePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_compare_page_dispose;
  object_class->finalize = qs_compare_page_finalize;

  g_type_ensure (QS_TYPE_SWIPE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-compare-page.ui");
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, baseline_row);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, quantized_row);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, export_button);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, empty_status);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, column_view);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, unmatched_box);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, unmatched_list);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, pair_label);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, baseline_picture);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, quantized_picture);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, swipe_view);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, swipe_adjustment);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, heatmap_picture);
  gtk_widget_class_bind_template_child (widget_class, QsComparePage, metrics_label);
  gtk_widget_class_bind_template_callback (widget_class, baseline_folder_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, baseline_file_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, quantized_folder_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, quantized_file_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
}

static void
qs_compare_page_init (QsComparePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->pairs = g_list_store_new (QS_TYPE_COMPARE_PAIR);
  self->unmatched = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->pairs)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selection_changed_cb), self);

  add_column (self, _("Image"), COLUMN_NAME);
  add_column (self, _("PSNR (dB)"), COLUMN_PSNR);
  add_column (self, _("SSIM"), COLUMN_SSIM);
  add_column (self, _("MAE"), COLUMN_MAE);
  add_column (self, _("Max diff"), COLUMN_MAX_DIFF);

  gtk_list_box_bind_model (self->unmatched_list, G_LIST_MODEL (self->unmatched),
                           unmatched_row_new, NULL, NULL);

  qs_swipe_view_set_adjustment (self->swipe_view, self->swipe_adjustment);
  add_drop_target (self, GTK_WIDGET (self->baseline_row));
  add_drop_target (self, GTK_WIDGET (self->quantized_row));

  update_list_page (self);
}

void
qs_compare_page_set_inputs (QsComparePage *self,
                            GFile         *baseline,
                            GFile         *quantized)
{
  g_return_if_fail (QS_IS_COMPARE_PAGE (self));

  set_input (self, SLOT_BASELINE, baseline);
  set_input (self, SLOT_QUANTIZED, quantized);
  start_compare (self);
}

gboolean
qs_compare_page_get_busy (QsComparePage *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAGE (self), FALSE);

  return self->busy;
}

GListModel *
qs_compare_page_get_pairs (QsComparePage *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAGE (self), NULL);

  return G_LIST_MODEL (self->pairs);
}

GListModel *
qs_compare_page_get_unmatched (QsComparePage *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAGE (self), NULL);

  return G_LIST_MODEL (self->unmatched);
}

void
qs_compare_page_select (QsComparePage *self,
                        guint          position)
{
  g_return_if_fail (QS_IS_COMPARE_PAGE (self));

  gtk_single_selection_set_selected (self->selection, position);
  /* The selection does not notify when the position stays the same. */
  show_pair (self, gtk_single_selection_get_selected_item (self->selection));
}

gboolean
qs_compare_page_has_heatmap (QsComparePage *self)
{
  g_return_val_if_fail (QS_IS_COMPARE_PAGE (self), FALSE);

  return self->has_heatmap;
}

gboolean
qs_compare_page_export_csv (QsComparePage  *self,
                            const char     *path,
                            GError        **error)
{
  guint n;
  g_autofree const char **names = NULL;
  g_autofree QsImageMetrics *metrics = NULL;

  g_return_val_if_fail (QS_IS_COMPARE_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->pairs));
  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("No image pair has metrics to export"));
      return FALSE;
    }

  names = g_new0 (const char *, n + 1);
  metrics = g_new0 (QsImageMetrics, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(QsComparePair) pair = g_list_model_get_item (G_LIST_MODEL (self->pairs), i);

      /* The store keeps the pair, so the name outlives this reference. */
      names[i] = pair->name;
      metrics[i] = pair->metrics;
    }

  return qs_image_metrics_write_csv (path, names, metrics, n, error);
}
